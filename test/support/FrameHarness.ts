import { Context, Effect, type Layer, type Scope } from "effect"
import type { Agent } from "../../src/agent/Agent.js"
import type { QualityAlertSubscription } from "../../src/agent/quality/AlertSubscription.js"
import { type RunRegistry, Runs } from "../../src/agent/Runs.js"
import type { Overrides } from "../../src/Config.js"
import type { AnyHandler } from "../../src/handlers/Handler.js"
import { AlertSubscription } from "../../src/agent/quality/AlertSubscription.js"
import type { Outcome } from "../../src/pipeline/Dispatcher.js"
import type { DuplicateHandlerError } from "../../src/pipeline/Router.js"
import type { ClientFrame } from "../../src/protocol/ClientFrame.js"
import type { StreamEvent } from "../../src/protocol/ServerFrame.js"
import type { LifecycleState } from "../../src/state/Lifecycle.js"
import type { UserStream } from "../../src/state/UserStream.js"
import * as SwitchyardTest from "../../src/testing.js"
import { Connection } from "../../src/transport/Connection.js"
import { FakeSocket } from "./FakeSocket.js"

/**
 * The test kit's user (`src/testing.ts`), plus fake connections of that user
 * on its stream: for the tests that look at what reaches sockets (typing,
 * disconnect) — which the kit itself, like handlers, knows nothing of.
 */
export interface Harness {
  readonly stream: UserStream
  readonly runs: RunRegistry
  readonly alerts: QualityAlertSubscription
  /** the connection the frames come from (`c1`), on a fake socket */
  readonly socket: FakeSocket
  readonly connection: Connection
  readonly lifecycle: LifecycleState
  /** what handlers emitted (the capturing emitter stands in for the user's stream) */
  readonly events: ReadonlyArray<StreamEvent>
  /** executes a frame; its ticket is marked replied right after, and a close it asked for is done, as the connection does */
  readonly execute: (frame: Omit<ClientFrame, "payload"> & { readonly payload?: object }) => Effect.Effect<Outcome>
  /** adds another connection of the same user */
  readonly addConnection: (id: string) => FakeSocket
}

/**
 * The kit's user around `handlers`, with a test `Agent` and fake sockets —
 * no network. `settings` override the default `SwitchyardConfig` the handlers see.
 */
export const makeHarness = (
  handlers: ReadonlyArray<AnyHandler>,
  agent: Layer.Layer<Agent>,
  userId = "u1",
  settings: Overrides = {}
): Effect.Effect<Harness, DuplicateHandlerError, Scope.Scope> =>
  Effect.gen(function*() {
    // the built-in handlers need an Agent beyond what the kit provides
    const user = yield* (SwitchyardTest.user(handlers, { userId, settings }) as Effect.Effect<
      SwitchyardTest.TestUser,
      DuplicateHandlerError,
      Scope.Scope | Agent
    >).pipe(Effect.provide(agent))
    const newConnection = (id: string) => {
      const socket = new FakeSocket()
      const connection = new Connection(id, userId, socket.asWebSocket(), {
        maxBufferedBytes: 1 << 20,
        maxBufferedFrames: 1000
      }, 0, 0, () => {})
      user.stream.connections.add(connection)
      return { socket, connection }
    }
    const { connection, socket } = newConnection(user.clientId)
    return {
      stream: user.stream,
      runs: Context.get(user.services, Runs),
      alerts: Context.get(user.services, AlertSubscription),
      socket,
      connection,
      lifecycle: user.lifecycle,
      events: user.events,
      execute: (frame) =>
        Effect.tap(user.send(frame), () => {
          if (user.closeRequested !== undefined) connection.close(1000, user.closeRequested)
        }),
      addConnection: (id) => newConnection(id).socket
    }
  })
