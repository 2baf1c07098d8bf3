import { Effect } from "effect"
import type { FrameTicket } from "../handlers/FrameContext.js"

/** A frame chain waiting for the claim of `id` of `userId`. */
export interface Waiter {
  readonly ticket: FrameTicket
  readonly userId: string
  readonly id: string
}

/**
 * The frame chains of this node that wait for a dedupe claim, so that no wait
 * waits for itself (PROTOCOL §5). A chain holding a claim that waits for one
 * held by another chain, which waits for one held by the first (two batches on
 * two connections, each containing the other's id), would wait forever: the
 * wait that would close such a cycle is refused instead. Only the rare wait
 * path touches this; the holders themselves are the frames' tickets. Waits
 * on other nodes (cluster mode) are seen through the `DedupeStore`'s
 * `SharedWaits`, asked after this one has let the wait in.
 */
export class ClaimWaits {
  private readonly waiting = new Set<Waiter>()

  /**
   * Registers `ticket`'s wait for (userId, id) and returns it, or `undefined`
   * when that wait would wait for itself, directly (the chain holds the id) or
   * through other waiting chains. Called synchronously with the claim that
   * found the id pending, so no other wait slips in between check and registration.
   */
  enter(ticket: FrameTicket, userId: string, id: string): Waiter | undefined {
    const visited = new Set<FrameTicket>()
    let wanted = id
    for (;;) {
      if (ticket.holds(wanted)) return undefined
      const holder = this.waiterHolding(userId, wanted, visited)
      // the holder is running, not waiting: it ends its claim (or, waiting later, sees this wait)
      if (holder === undefined) break
      visited.add(holder.ticket)
      wanted = holder.id
    }
    const waiter: Waiter = { ticket, userId, id }
    this.waiting.add(waiter)
    return waiter
  }

  /** Runs `wait` as the registered wait of `waiter`, ending it whatever happens. */
  during<A, E, R>(waiter: Waiter, wait: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return Effect.ensuring(wait, Effect.sync(() => this.waiting.delete(waiter)))
  }

  private waiterHolding(userId: string, id: string, visited: Set<FrameTicket>): Waiter | undefined {
    for (const waiter of this.waiting) {
      if (waiter.userId === userId && !visited.has(waiter.ticket) && waiter.ticket.holds(id)) return waiter
    }
    return undefined
  }
}
