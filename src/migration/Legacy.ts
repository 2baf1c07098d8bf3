/**
 * Legacy implementations brought along by a team: a Promise-based function
 * `(userId, payload) => Promise<result>`, adapted into a router `Handler` so
 * that it can be one side of a migrating type. (The remote HTTP backend of
 * PROTOCOL §8 is `HttpLegacy.ts`.)
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { FrameError } from "../protocol/FrameError.js"
import type { StreamEvent } from "../protocol/StreamEvents.js"
import { CurrentFrame } from "../handlers/FrameContext.js"
import * as Handler from "../handlers/Handler.js"
import { Emitter } from "../state/Emitter.js"
import { CurrentUser } from "../state/CurrentUser.js"
import { redactText } from "./RedactUrl.js"
import { afterReply } from "./Settlement.js"

/**
 * What a Promise-based legacy handler gets besides the user id and payload.
 *
 * @since 0.1.0
 */
export interface PromiseContext {
  /** the client's message id (`undefined` when the frame had none) */
  readonly id: string | undefined
  /** aborted when the call is interrupted (timeout, shutdown) */
  readonly signal: AbortSignal
  /**
   * Queues a stream event for the user. Events queued before the returned
   * promise settles are delivered in order right after the frame's ack; later
   * calls are ignored (the call is over by then).
   */
  readonly emit: (event: StreamEvent) => void
}

/**
 * The shape of an existing Node handler: resolves with the ack's `result`,
 * rejects to fail the frame (`HANDLER_FAILED`, or the `FrameError` it rejects with).
 *
 * @since 0.1.0
 */
export type PromiseHandler<P = unknown> = (userId: string, payload: P, context: PromiseContext) => Promise<unknown>

/**
 * A legacy side's value as an ack `result`: `undefined`/`null` become `{}`,
 * anything else is passed on unchanged (PROTOCOL §8: the ack carries the
 * legacy result as is). `Outcome` types results as `object`; a primitive is
 * still valid JSON in the ack, so it is passed through rather than wrapped.
 *
 * @since 0.1.0
 */
export const toAckResult = (value: unknown): object => (value ?? {}) as object

/**
 * What a legacy side's ack carries: its value as it is (PROTOCOL §8), any JSON.
 *
 * @since 0.1.0
 */
export const LegacyResult = Schema.Unknown

/**
 * Delivers `events` to the `Emitter` in context once the frame is answered.
 *
 * @since 0.1.0
 */
export const deliverAfterReply = (
  events: ReadonlyArray<StreamEvent>
): Effect.Effect<void, never, Emitter> =>
  events.length === 0 ? Effect.void : Effect.flatMap(
    Emitter,
    (emitter) => afterReply(Effect.forEach(events, (event) => emitter.emit(event), { discard: true }))
  )

/**
 * A rejection as the client sees it: a `FrameError` as is, anything else
 * `HANDLER_FAILED` with a safe message — its own message (which may quote a
 * URL, a query or a backend's answer) goes to the log, URLs redacted.
 */
const failureOf = (error: unknown): Effect.Effect<FrameError> =>
  error instanceof FrameError ? Effect.succeed(error) : Effect.as(
    Effect.logWarning("legacy handler failed").pipe(
      Effect.annotateLogs({ detail: redactText(error instanceof Error ? error.message : String(error)) })
    ),
    FrameError.handlerFailed("the legacy handler failed")
  )

/** What a Promise-based legacy handler uses of a frame's services: the user (its id) and the emitter (its events). */
export type Uses = CurrentUser | Emitter

/**
 * Adapts a Promise-based function into a `Handler` of `type`. With `payload`,
 * the payload is decoded by that Schema first (a bad one is `INVALID_MESSAGE`,
 * and the function never runs); without, the function gets the raw payload object.
 *
 * ```ts
 * const legacyQuote = Legacy.fromPromise("quote", (userId, payload) => oldApi.quote(userId, payload))
 * ```
 *
 * @since 0.1.0
 */
export const fromPromise = <A = unknown, I = unknown>(
  type: string,
  run: PromiseHandler<A>,
  options: { readonly payload?: Schema.Schema<A, I, never> } = {}
): Handler.Handler<Uses> =>
  Handler.make(type, {
    payload: options.payload ?? (Schema.Unknown as unknown as Schema.Schema<A, I, never>),
    success: LegacyResult,
    errors: ["HANDLER_FAILED"],
    handle: (payload: A) =>
      Effect.gen(function*() {
        const user = yield* CurrentUser
        const frame = yield* CurrentFrame
        const queued: Array<StreamEvent> = []
        let open = true
        const result = yield* Effect.tryPromise({
          try: (signal) =>
            run(user.userId, payload, {
              id: frame.id,
              signal,
              emit: (event) => {
                if (open) queued.push(event)
              }
            }),
          catch: (error) => error
        }).pipe(
          Effect.catchAll((error) => Effect.flatMap(failureOf(error), Effect.fail)),
          Effect.ensuring(Effect.sync(() => (open = false)))
        )
        yield* deliverAfterReply(queued)
        return toAckResult(result)
      })
  })
