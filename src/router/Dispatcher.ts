import { Cause, Context, Effect, Either, Layer, Option } from "effect"
import { decodeValue } from "../protocol/ClientFrame.js"
import type { ClientFrame } from "../protocol/ClientFrame.js"
import { FrameError } from "../protocol/FrameError.js"
import type { DedupeStore } from "../session/Dedupe.js"
import { UserContext } from "../session/UserContext.js"
import type { FrameServices } from "./FrameContext.js"
import type { AnyHandler } from "./Handler.js"
import { Router } from "./Router.js"

/** How one client frame was answered (PROTOCOL §5). */
export type Outcome =
  | { readonly status: "ok" | "duplicate"; readonly result: object; readonly reply: "ack" | "pong" }
  | { readonly status: "error"; readonly error: FrameError }

/**
 * Runs one decoded frame through dedupe and its handler, turning every
 * failure into a typed `FrameError` outcome — one bad frame never escapes.
 * Provided to handlers too, so that `batch` runs its inner frames the same way.
 */
export class Dispatcher extends Context.Tag("switchyard/Dispatcher")<Dispatcher, {
  readonly execute: (frame: ClientFrame) => Effect.Effect<Outcome, never, FrameServices>
  /** May a frame of this type appear inside a `batch`? (unknown types may: they fail alone) */
  readonly batchable: (type: string) => boolean
  /** Decodes a raw inner frame (of a batch) and executes it. */
  readonly executeValue: (
    value: unknown
  ) => Effect.Effect<{ readonly id: string | undefined; readonly outcome: Outcome }, never, FrameServices>
}>() {
  /** The dispatcher of the router in context. */
  static readonly layer: Layer.Layer<Dispatcher, never, Router> = Layer.effect(
    Dispatcher,
    Effect.map(Router, (router) => {
      const execute = (frame: ClientFrame): Effect.Effect<Outcome, never, FrameServices> => {
        const handler = router.lookup(frame.type)
        if (handler === undefined) {
          return Effect.succeed(failure(
            new FrameError({
              code: "UNKNOWN_TYPE",
              message: `no handler for message type "${frame.type}"`,
              details: { type: frame.type }
            })
          ))
        }
        const id = frame.id
        if (id === undefined || handler.reply === "pong") return run(handler, frame.payload)
        return Effect.flatMap(UserContext, ({ dedupe }) => {
          const claim = dedupe.claim(id)
          if (claim === undefined) return waitForClaim(dedupe, id, handler, frame.payload)
          if (claim._tag === "Duplicate") return Effect.succeed(duplicate(claim.result, handler))
          return settled(dedupe, id, run(handler, frame.payload))
        })
      }
      return {
        execute,
        batchable: (type) => router.lookup(type)?.batchable ?? true,
        executeValue: (value) => {
          const decoded = decodeValue(value)
          return Either.isLeft(decoded)
            ? Effect.succeed({ id: decoded.left.id, outcome: failure(decoded.left.error) })
            : Effect.map(execute(decoded.right), (outcome) => ({ id: decoded.right.id, outcome }))
        }
      }
    })
  )
}

const failure = (error: FrameError): Outcome => ({ status: "error", error })

const duplicate = (result: unknown, handler: AnyHandler): Outcome => ({
  status: "duplicate",
  result: result as object,
  reply: handler.reply
})

// a concurrent claim of the same id is running (another connection): wait for its outcome
const waitForClaim = (
  dedupe: DedupeStore,
  id: string,
  handler: AnyHandler,
  payload: unknown
): Effect.Effect<Outcome, never, FrameServices> =>
  Effect.flatMap(dedupe.begin(id), (claim) =>
    claim._tag === "Duplicate"
      ? Effect.succeed(duplicate(claim.result, handler))
      : settled(dedupe, id, run(handler, payload)))

/**
 * Ends the id's claim with the outcome: a success is remembered, an error is
 * forgotten so that a retry runs again. `run` never fails, and a handler's own
 * interruption arrives as an outcome too; the frame's fiber itself is a root
 * fiber nothing interrupts (a connection's drain, `ServeConnection`), so no per-frame
 * interrupt guard is needed.
 */
const settled = (
  dedupe: DedupeStore,
  id: string,
  outcome: Effect.Effect<Outcome, never, FrameServices>
): Effect.Effect<Outcome, never, FrameServices> =>
  Effect.clockWith((clock) =>
    Effect.map(outcome, (outcome) => {
      dedupe.settle(id, outcome.status === "error" ? undefined : outcome, clock.unsafeCurrentTimeMillis())
      return outcome
    })
  )

const run = (handler: AnyHandler, payload: unknown): Effect.Effect<Outcome, never, FrameServices> =>
  // the Router's Layer required every service of its handlers; the connection provides them
  Effect.matchCauseEffect(handler.run(payload) as Effect.Effect<object, FrameError, FrameServices>, {
    onSuccess: (result) => Effect.succeed<Outcome>({ status: "ok", result, reply: handler.reply }),
    onFailure: (cause) => {
      const failed = Cause.failureOption(cause)
      if (Option.isSome(failed)) return Effect.succeed(failure(failed.value))
      if (Cause.isInterruptedOnly(cause)) {
        return Effect.succeed(failure(new FrameError({ code: "UNAVAILABLE", message: "the handler was interrupted" })))
      }
      return Effect.as(
        Effect.logError("handler died", cause),
        failure(new FrameError({ code: "INTERNAL", message: "internal error" }))
      )
    }
  })
