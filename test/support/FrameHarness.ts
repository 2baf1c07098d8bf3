import { Context, Effect, FiberMap, Layer, type Scope } from "effect"
import type { Agent } from "../../src/agent/Agent.js"
import { RunRegistry } from "../../src/agent/Runs.js"
import { type Settings, SwitchyardConfig } from "../../src/Config.js"
import { Lifecycle, LifecycleState } from "../../src/state/Lifecycle.js"
import type { ClientFrame } from "../../src/protocol/ClientFrame.js"
import { AlertSubscription } from "../../src/agent/quality/AlertSubscription.js"
import type { StreamEvent } from "../../src/protocol/ServerFrame.js"
import { Dispatcher, type Outcome } from "../../src/pipeline/Dispatcher.js"
import { CurrentConnection, FrameTicket, withFrame } from "../../src/handlers/FrameContext.js"
import type { AnyHandler } from "../../src/handlers/Handler.js"
import * as Router from "../../src/pipeline/Router.js"
import { Connection } from "../../src/transport/Connection.js"
import { Conversations } from "../../src/state/Conversations.js"
import * as Emitter from "../../src/state/Emitter.js"
import { UserContext, type UserSession } from "../../src/state/UserContext.js"
import { UserStream } from "../../src/state/UserStream.js"
import * as MemoryDedupeStore from "../../src/store/MemoryDedupeStore.js"
import { FakeSocket } from "./FakeSocket.js"

/** One user's session with a fake connection, and a way to run frames through the real dispatcher. */
export interface Harness {
  readonly session: UserSession
  readonly socket: FakeSocket
  readonly connection: Connection
  readonly lifecycle: LifecycleState
  /** what handlers emitted (the capturing emitter stands in for the user's stream) */
  readonly events: Array<StreamEvent>
  /** executes a frame; its ticket is marked replied right after, as the connection does */
  readonly execute: (frame: Omit<ClientFrame, "payload"> & { readonly payload?: object }) => Effect.Effect<Outcome>
  /** adds another connection of the same user */
  readonly addConnection: (id: string) => FakeSocket
}

/**
 * Builds the per-frame services around `handlers` with mocked layers: a
 * test `Agent`, a capturing `Emitter`, a fake socket — no network.
 * `settings` override the default `SwitchyardConfig` the handlers see.
 */
export const makeHarness = (
  handlers: ReadonlyArray<AnyHandler>,
  agent: Layer.Layer<Agent>,
  userId = "u1",
  settings: Partial<Settings> = {}
): Effect.Effect<Harness, Router.DuplicateHandlerError, Scope.Scope> =>
  Effect.gen(function*() {
    const lifecycle = new LifecycleState()
    // the built-in handlers need an Agent, the Lifecycle and the settings: all are provided here
    const router = Router.layer(handlers) as Layer.Layer<
      Router.Router,
      Router.DuplicateHandlerError,
      Agent | Lifecycle | SwitchyardConfig
    >
    const routing = Layer.provideMerge(Dispatcher.layer, router).pipe(
      // the node's dedupe store, as the service has it (one per harness: tests stay apart)
      Layer.provide(MemoryDedupeStore.layer),
      Layer.provide(agent),
      Layer.provide(Layer.succeed(Lifecycle, lifecycle)),
      Layer.provide(SwitchyardConfig.layerWith(settings))
    )
    const built = yield* Layer.build(routing)
    const dispatcher = Context.get(built, Dispatcher)
    const routerService = Context.get(built, Router.Router)
    const fibers = yield* FiberMap.make<string>()
    const session: UserSession = {
      userId,
      stream: UserStream.detached(userId, { minEvents: 100, minAgeMs: 60_000, maxEvents: 1000 }),
      runs: new RunRegistry(userId, fibers, 100, lifecycle),
      qualityAlert: new AlertSubscription(),
      conversations: new Conversations({ maxTurns: 20, maxChars: 24_000, maxThreads: 100 })
    }
    const newConnection = (id: string) => {
      const socket = new FakeSocket()
      const connection = new Connection(id, userId, socket.asWebSocket(), {
        maxBufferedBytes: 1 << 20,
        maxBufferedFrames: 1000
      }, 0, 0, () => {})
      session.stream.connections.add(connection)
      return { socket, connection }
    }
    const { connection, socket } = newConnection("c1")
    const capture = Emitter.capturing()
    const context = Context.merge(routerService.context, Context.make(UserContext, session)).pipe(
      Context.add(CurrentConnection, connection),
      Context.add(Emitter.Emitter, capture.emitter),
      Context.add(Dispatcher, dispatcher),
      Context.add(Lifecycle, lifecycle)
    )
    return {
      session,
      socket,
      connection,
      lifecycle,
      events: capture.events,
      execute: (frame) => {
        const ticket = new FrameTicket(frame.id)
        return dispatcher.execute({ ...frame, payload: frame.payload ?? {} } as ClientFrame).pipe(
          withFrame(ticket),
          Effect.provide(context),
          Effect.tap(() => ticket.markReplied())
        )
      },
      addConnection: (id) => newConnection(id).socket
    }
  })
