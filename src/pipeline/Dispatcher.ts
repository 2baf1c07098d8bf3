import { Cause, Context, Effect, Either, Layer, Option } from "effect"
import { decodeValue } from "../protocol/ClientFrame.js"
import type { ClientFrame } from "../protocol/ClientFrame.js"
import { FrameError } from "../protocol/FrameError.js"
import { CurrentUser } from "../state/CurrentUser.js"
import { type Claim, DedupeStore } from "../store/DedupeStore.js"
import { ClaimWaits } from "./ClaimWaits.js"
import { currentFrameSlot, type FrameProvided, FrameTicket, withFrame } from "../handlers/FrameContext.js"
import type { AnyHandler } from "../handlers/Handler.js"
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
  readonly execute: (frame: ClientFrame) => Effect.Effect<Outcome, never, FrameProvided>
  /** May a frame of this type appear inside a `batch`? (unknown types may: they fail alone) */
  readonly batchable: (type: string) => boolean
  /** Decodes a raw inner frame (of a batch) and executes it. */
  readonly executeValue: (
    value: unknown
  ) => Effect.Effect<{ readonly id: string | undefined; readonly outcome: Outcome }, never, FrameProvided>
}>() {
  /** The dispatcher of the router in context, deduplicating through the node's `DedupeStore`. */
  static readonly layer: Layer.Layer<Dispatcher, never, Router | DedupeStore> = Layer.effect(
    Dispatcher,
    Effect.gen(function*() {
      const router = yield* Router
      const claims = claimsWith(yield* DedupeStore)
      const execute = (frame: ClientFrame): Effect.Effect<Outcome, never, FrameProvided> => {
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
        // one primitive reads both the user and the frame: this runs for every acknowledged frame
        return Effect.withFiberRuntime<Outcome, never, FrameProvided>((fiber) => {
          const ticket = fiber.getFiberRef(currentFrameSlot).ticket
          const userId = Context.unsafeGet(fiber.currentContext as Context.Context<CurrentUser>, CurrentUser).userId
          // outside any frame there is no chain to track claims on: the frame is a chain of its own
          if (ticket === FrameTicket.none) return withFrame(FrameTicket.answered(id))(execute(frame))
          return claims.process(userId, id, ticket, handler, frame.payload)
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

const duplicate = (result: object, handler: AnyHandler): Outcome => ({
  status: "duplicate",
  result,
  reply: handler.reply
})

// PROTOCOL §5: a frame may not reuse the id of a frame that contains it (nor,
// through frames of the user's other connections waiting in turn, wait for one it holds)
const waitsForItself = (ticket: FrameTicket, id: string): Outcome =>
  failure(FrameError.invalidMessage(
    ticket.holds(id)
      ? `id "${id}" is the id of the frame that contains this one`
      : `id "${id}" is held by a frame that waits for the frame containing this one`,
    ["id"],
    "an id other than those of the enclosing frames"
  ))

const storeDown = failure(new FrameError({
  code: "UNAVAILABLE",
  message: "the idempotency store is unavailable: retry later"
}))

/**
 * A frame's way through dedupe: claim its id, then process it (`New`), answer
 * with the first result (`Duplicate`), or wait for a concurrent claim
 * (`Pending`: another connection, same moment) and look again — unless the
 * wait would wait for itself (`ClaimWaits`): the claim is held by this
 * frame's own chain, or by a chain waiting, in turn, for one of this chain's.
 * While the frame is processed its ticket holds the id; the outcome ends the
 * claim: a success is remembered, an error forgotten so that a retry runs again.
 * `run` never fails, and a handler's own interruption arrives as an outcome
 * too; the frame's fiber itself is a root fiber nothing interrupts (a
 * connection's drain, `ServeConnection`), so no per-frame interrupt guard is needed.
 */
interface Claims {
  readonly process: (
    userId: string,
    id: string,
    ticket: FrameTicket,
    handler: AnyHandler,
    payload: unknown
  ) => Effect.Effect<Outcome, never, FrameProvided>
}

const claimsWith = (store: DedupeStore["Type"]): Claims => {
  const waits = new ClaimWaits()
  const sync = store.sync

  /**
   * The answer to a claim that is not this frame's to process: the first
   * result (`Duplicate`), or a wait for the concurrent claim and another
   * look (`Pending`). Undefined for `New`: the frame is processed.
   */
  const answerOther = (
    claim: Claim,
    userId: string,
    id: string,
    ticket: FrameTicket,
    handler: AnyHandler,
    payload: unknown
  ): Effect.Effect<Outcome, never, FrameProvided> | undefined => {
    if (claim._tag === "Duplicate") return Effect.succeed(duplicate(claim.result, handler))
    if (claim._tag === "New") return undefined
    const waiter = waits.enter(ticket, userId, id)
    if (waiter === undefined) return Effect.succeed(waitsForItself(ticket, id))
    return Effect.matchEffect(waits.during(waiter, store.settled(userId, id)), {
      onFailure: () => Effect.succeed(storeDown),
      onSuccess: () => process(userId, id, ticket, handler, payload)
    })
  }

  const process: Claims["process"] = sync !== undefined
    // an in-process store: no Effect per claim (the frame path's cost per acked frame)
    ? (userId, id, ticket, handler, payload) => {
      const claim = sync.claim(userId, id)
      const other = answerOther(claim, userId, id, ticket, handler, payload)
      if (other !== undefined) return other
      ticket.hold(id)
      return Effect.clockWith((clock) =>
        Effect.map(run(handler, payload), (outcome) => {
          ticket.unhold(id)
          if (outcome.status === "error") sync.expire(userId, id)
          else sync.complete(userId, id, outcome.result, clock.unsafeCurrentTimeMillis())
          return outcome
        })
      )
    }
    : (userId, id, ticket, handler, payload) =>
      Effect.matchEffect(store.claim(userId, id), {
        onFailure: () => Effect.succeed(storeDown),
        onSuccess: (claim) => {
          const other = answerOther(claim, userId, id, ticket, handler, payload)
          if (other !== undefined) return other
          ticket.hold(id)
          return Effect.flatMap(run(handler, payload), (outcome) => {
            ticket.unhold(id)
            const end = outcome.status === "error" ? store.expire(userId, id) : store.complete(userId, id, outcome.result)
            // the answer stands even if the store could not record it: a retry is then processed again
            return Effect.as(Effect.catchAll(end, (error) => Effect.logWarning("dedupe store failed", error)), outcome)
          })
        }
      })
  return { process }
}

const run = (handler: AnyHandler, payload: unknown): Effect.Effect<Outcome, never, FrameProvided> =>
  // the Router's Layer required every service of its handlers; the connection provides them
  Effect.matchCauseEffect(handler.run(payload) as Effect.Effect<object, FrameError, FrameProvided>, {
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
