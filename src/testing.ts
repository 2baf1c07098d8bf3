/**
 * A test kit for handlers (`switchyard/testing`): one user with its services,
 * and the real dispatcher — decode, dedupe, route, handler — with no socket
 * and no network. Provide what your handlers need beyond the per-user
 * services (an `Agent`, services of your own) as mocked layers.
 *
 * ```ts
 * const user = yield* SwitchyardTest.user([myHandler])
 * const outcome = yield* user.send({ type: "my_type", id: "m1", payload: {} })
 * ```
 */
import { Context, Effect, Either, Layer, type Scope } from "effect"
import * as SwitchyardConfig from "./Config.js"
import { ConversationSettings } from "./state/ConversationSettings.js"
import { HistorySettings } from "./state/HistorySettings.js"
import { SessionSettings } from "./state/SessionSettings.js"
import { CurrentClient, FrameTicket, type UserServices, withFrame } from "./handlers/FrameContext.js"
import type { AnyHandler, Requirements } from "./handlers/Handler.js"
import { Dispatch } from "./handlers/Dispatch.js"
import { Dispatcher, type Outcome } from "./pipeline/Dispatcher.js"
import * as Router from "./pipeline/Router.js"
import { decodeValue } from "./protocol/ClientFrame.js"
import type { StreamEvent } from "./protocol/StreamEvents.js"
import { capturing, Emitter } from "./state/Emitter.js"
import { Lifecycle, LifecycleState } from "./state/Lifecycle.js"
import { UserStream } from "./state/UserStream.js"
import * as MemoryDedupeStore from "./store/MemoryDedupeStore.js"
import { UserRateLimit } from "./resilience/UserRateLimit.js"
import * as UserServicesLive from "./UserServices.js"

/** A client frame as a test sends it: `payload` defaults to `{}`. */
export interface TestFrame {
  readonly type: string
  readonly id?: string | undefined
  readonly payload?: unknown
}

/** One user of the kit. */
export interface TestUser {
  readonly userId: string
  /** the connection id the user's frames come from (`CurrentClient`) */
  readonly clientId: string
  /**
   * Sends a frame as the user's connection would: through dedupe and its
   * handler, then marks it answered (what the frame's runs wait for).
   */
  readonly send: (frame: TestFrame) => Effect.Effect<Outcome>
  /** what the handlers emitted, in order (a capturing `Emitter` stands in for the stream's delivery) */
  readonly events: ReadonlyArray<StreamEvent>
  /** The first emitted event that satisfies `predicate`: one already there, or the next that does. */
  readonly awaitEvent: (predicate: (event: StreamEvent) => boolean) => Effect.Effect<StreamEvent>
  /** the user's services (`Runs`, `Conversations`, …), as its frames get them */
  readonly services: Context.Context<UserServices>
  /** the user's stream (history, seq, the connections on it) */
  readonly stream: UserStream
  /** the node's lifecycle the user's runs count in */
  readonly lifecycle: LifecycleState
  /** the reason of the last close a handler asked for after its reply (`disconnect`), if any */
  readonly closeRequested: string | undefined
}

/** What the kit provides itself: settings, lifecycle and the users' message budget. */
type KitProvided = SwitchyardConfig.Settings | Lifecycle | UserRateLimit

/**
 * A user served by `handlers`. Their requirements beyond the per-user
 * services and what the kit provides (every module's settings from `settings`, a
 * fresh `Lifecycle`, an in-memory dedupe store) stay for the test to provide.
 * The user's runs live in the Scope: closing it interrupts them.
 */
export const user = <const Handlers extends ReadonlyArray<AnyHandler>>(
  handlers: Handlers,
  options: {
    readonly userId?: string | undefined
    readonly clientId?: string | undefined
    readonly settings?: SwitchyardConfig.Overrides | undefined
  } = {}
): Effect.Effect<
  TestUser,
  Router.DuplicateHandlerError,
  Scope.Scope | Exclude<Requirements<Handlers[number]>, KitProvided>
> =>
  Effect.gen(function*() {
    const userId = options.userId ?? "u1"
    const clientId = options.clientId ?? "c1"
    const settings = yield* Layer.build(SwitchyardConfig.layerWith(options.settings))
    const lifecycle = new LifecycleState()
    const router = Router.layer(handlers) as Layer.Layer<
      Router.Router,
      Router.DuplicateHandlerError,
      Exclude<Requirements<Handlers[number]>, KitProvided> | KitProvided
    >
    const built = yield* Layer.build(
      Layer.provideMerge(Dispatcher.layer, router).pipe(
        Layer.provide(MemoryDedupeStore.layer),
        Layer.provide(UserRateLimit.Default),
        Layer.provide(Layer.succeed(Lifecycle, lifecycle)),
        Layer.provide(Layer.succeedContext(settings))
      )
    )
    const dispatcher = Context.get(built, Dispatcher)
    const stream = UserStream.detached(userId, HistorySettings.toOptions(Context.get(settings, HistorySettings)))
    const capture = capturing()
    // the user's services as a node makes them, with the capturing emitter instead of the stream's
    const services = UserServicesLive.make(
      { userId, stream, scope: Effect.succeed(yield* Effect.scope) },
      UserServicesLive.settingsFrom(
        { ...Context.get(settings, SessionSettings), ...Context.get(settings, ConversationSettings) },
        lifecycle
      )
    ).pipe(Context.add(Emitter, capture.emitter))
    const context = Context.merge(Context.get(built, Router.Router).context, services).pipe(
      Context.add(CurrentClient, { connectionId: clientId }),
      Context.add(Dispatch, dispatcher.dispatch),
      Context.add(Lifecycle, lifecycle)
    )
    const testUser: { -readonly [K in keyof TestUser]: TestUser[K] } = {
      userId,
      clientId,
      events: capture.events,
      awaitEvent: capture.awaitEvent,
      services,
      stream,
      lifecycle,
      closeRequested: undefined,
      send: (frame) => {
        // decoded as a frame from a socket is: a malformed envelope is the client's error
        const decoded = decodeValue({ ...frame, payload: frame.payload ?? {} })
        if (Either.isLeft(decoded)) return Effect.succeed<Outcome>({ status: "error", error: decoded.left.error })
        const ticket = new FrameTicket(frame.id)
        return dispatcher.execute(decoded.right).pipe(
          withFrame(ticket),
          Effect.provide(context),
          Effect.tap(() => {
            ticket.markReplied()
            testUser.closeRequested = ticket.closeRequested ?? testUser.closeRequested
          })
        )
      }
    }
    return testUser
  })
