import { Context, Effect } from "effect"
import type { Outcome } from "../handlers/Dispatch.js"
import { currentFrameSlot, type FrameProvided, FrameTicket, withFrame } from "../handlers/FrameContext.js"
import type { ClientFrame } from "../protocol/ClientFrame.js"
import { FrameError } from "../protocol/FrameError.js"
import { CurrentUser } from "../state/CurrentUser.js"
import type { Claim, DedupeStore, DedupeStoreError } from "../store/DedupeStore.js"
import { ClaimWaits } from "./ClaimWaits.js"
import * as Middleware from "./Middleware.js"

/**
 * Idempotency (PROTOCOL §5) as a wrapping middleware: a frame with an id
 * claims it in the node's `DedupeStore`, then runs (`New`), is answered with
 * the first result without running the handler (`Duplicate`), or waits for a
 * concurrent claim (`Pending`: another connection, same moment) and looks
 * again — unless the wait would wait for itself (`ClaimWaits`): the claim is
 * held by this frame's own chain, or by a chain waiting, in turn, for one of
 * this chain's (on this node; on others through the store's `SharedWaits`).
 * While the frame runs its ticket holds the id; the outcome ends the claim:
 * a success is remembered, an error forgotten so that a retry runs again.
 * Frames without an id, `pong`-answered types and the unknown route are not
 * deduplicated: their routes do not get this step at all.
 *
 * `next` never fails, and a handler's own interruption arrives as an outcome
 * too; the frame's fiber itself is a root fiber nothing interrupts (a
 * connection's drain), so no per-frame interrupt guard is needed.
 */
export const dedupe = (store: DedupeStore["Type"]): Middleware.Wrap => {
  // one per node: a wait that would close a cycle is seen across every route
  const claims = claimsWith(store)
  return Middleware.wrap((route, next) => {
    if (route.handler === undefined || route.handler.reply === "pong") return next
    const handler = route.handler
    const claimant: Claimant = {
      next,
      reply: handler.reply,
      fixed: handler.fixedResult !== undefined && handler.check !== undefined
        ? { result: handler.fixedResult, check: handler.check }
        : undefined
    }
    const step: Middleware.Step = (frame) => {
      const id = frame.id
      if (id === undefined) return next(frame)
      // one primitive reads both the user and the frame: this runs for every acknowledged frame
      return Effect.withFiberRuntime<Outcome, never, FrameProvided>((fiber) => {
        const ticket = fiber.getFiberRef(currentFrameSlot).ticket
        const userId = Context.unsafeGet(fiber.currentContext as Context.Context<CurrentUser>, CurrentUser).userId
        // outside any frame there is no chain to track claims on: the frame is a chain of its own
        if (ticket === FrameTicket.none) return withFrame(FrameTicket.answered(id))(step(frame))
        return claims.process(userId, id, ticket, claimant, frame)
      })
    }
    return step
  })
}

/** The route below the dedupe step: what runs a new claim, and how its duplicates are answered. */
interface Claimant {
  readonly next: Middleware.Step
  readonly reply: "ack" | "pong"
  /** the route's result known in advance, and its payload check (`Handler.fixedResult`) */
  readonly fixed: { readonly result: object; readonly check: (payload: unknown) => FrameError | undefined } | undefined
}

interface Claims {
  readonly process: (
    userId: string,
    id: string,
    ticket: FrameTicket,
    claimant: Claimant,
    frame: ClientFrame
  ) => Effect.Effect<Outcome, never, FrameProvided>
}

const failure = (error: FrameError): Outcome => ({ status: "error", error })

// PROTOCOL §5: a frame may not reuse the id of a frame that contains it (nor,
// through frames of the user's other connections waiting in turn, on any node, wait for one it holds)
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

// its first run may have done what it asked: not run again while the id is remembered
const firstResultUnreadable = failure(new FrameError({
  code: "UNAVAILABLE",
  message: "this id's first result is stored in a form this node cannot read: not processed again within the dedupe window"
}))

const storeFailed = (error: DedupeStoreError): Outcome => error.reason === "Unreadable" ? firstResultUnreadable : storeDown

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
    claimant: Claimant,
    frame: ClientFrame
  ): Effect.Effect<Outcome, never, FrameProvided> | undefined => {
    if (claim._tag === "Duplicate") {
      return Effect.succeed<Outcome>({ status: "duplicate", result: claim.result, reply: claimant.reply })
    }
    if (claim._tag === "New") return undefined
    const waiter = waits.enter(ticket, userId, id)
    if (waiter === undefined) return Effect.succeed(waitsForItself(ticket, id))
    return Effect.matchEffect(waits.during(waiter, waitShared(userId, id, ticket)), {
      onFailure: () => Effect.succeed(storeDown),
      onSuccess: (waited) => waited ? process(userId, id, ticket, claimant, frame) : Effect.succeed(waitsForItself(ticket, id))
    })
  }

  /**
   * Waits for the pending claim of `id`, the wait entered in the store's
   * `SharedWaits` (other nodes' chains) for as long as it lasts: `false`
   * when that wait would close a cycle through them. A chain holding no
   * claim cannot close one (nobody waits for it): it waits at no extra cost.
   */
  const waitShared = (userId: string, id: string, ticket: FrameTicket): Effect.Effect<boolean, DedupeStoreError> => {
    const shared = store.sharedWaits
    const held = shared === undefined ? [] : ticket.heldIds()
    if (shared === undefined || held.length === 0) return Effect.as(store.settled(userId, id), true)
    // a wait that stays recorded (Redis failed) is dropped at its deadline: logged, not the frame's failure
    const leave = Effect.catchAll(shared.leave(userId, held, id), (error) => Effect.logWarning("dedupe store failed", error.message))
    return Effect.flatMap(shared.enter(userId, held, id), (entered) =>
      entered ? Effect.as(Effect.ensuring(store.settled(userId, id), leave), true) : Effect.succeed(false))
  }

  const process: Claims["process"] = sync !== undefined
    // an in-process store: no Effect per claim (the frame path's cost per acked frame)
    ? (userId, id, ticket, claimant, frame) => {
      const claim = sync.claim(userId, id)
      const other = answerOther(claim, userId, id, ticket, claimant, frame)
      if (other !== undefined) return other
      ticket.hold(id)
      return Effect.clockWith((clock) =>
        Effect.map(claimant.next(frame), (outcome) => {
          ticket.unhold(id)
          if (outcome.status === "error") sync.expire(userId, id)
          else sync.complete(userId, id, outcome.result, clock.unsafeCurrentTimeMillis())
          return outcome
        })
      )
    }
    : (userId, id, ticket, claimant, frame) => {
      const fixed = claimant.fixed
      if (fixed !== undefined) {
        const invalid = fixed.check(frame.payload)
        if (invalid !== undefined) return Effect.succeed(failure(invalid))
      }
      return Effect.matchEffect(fixed === undefined ? store.claim(userId, id) : store.record(userId, id, fixed.result), {
        onFailure: (error) => Effect.succeed(storeFailed(error)),
        onSuccess: (claim) => {
          const other = answerOther(claim, userId, id, ticket, claimant, frame)
          if (other !== undefined) return other
          ticket.hold(id)
          return Effect.flatMap(claimant.next(frame), (outcome) => {
            ticket.unhold(id)
            // recorded already, as the result it has: only a failure after all has to be forgotten
            const end = fixed !== undefined
              ? outcome.status === "error" ? store.expire(userId, id) : Effect.void
              : outcome.status === "error"
              ? store.expire(userId, id)
              : store.complete(userId, id, outcome.result)
            // the answer stands even if the store could not record it: a retry is then processed again
            return Effect.as(Effect.catchAll(end, (error) => Effect.logWarning("dedupe store failed", error.message)), outcome)
          })
        }
      })
    }
  return { process }
}
