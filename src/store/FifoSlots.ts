import { Deferred, Effect, Exit, FiberId } from "effect"

/**
 * At most `size` effects at once, the rest served in the order they asked: a
 * slot given back goes to the longest waiter, never to whoever asks next
 * (effect's `Semaphore` lets a fiber that gives a permit back take it again
 * before a waiter wakes, so a busy one could keep it). For a node's recovery
 * passes (`RedisStreams`): every user's catch-up gets its turn.
 */
export class FifoSlots {
  private free: number
  // waiters in the order they asked; `head` is the next one's index (no O(n) shift per hand-over; an
  // interrupted waiter's `leave` is O(n): rare)
  private waiting: Array<Deferred.Deferred<void> | undefined> = []
  private head = 0

  constructor(size: number) {
    this.free = Number.isFinite(size) ? Math.max(1, Math.floor(size)) : 1
  }

  /** Runs `effect` in a slot, once one is free and every earlier waiter had theirs. */
  withSlot<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        const inSlot = Effect.ensuring(restore(effect), Effect.sync(() => this.handOver()))
        if (this.free > 0) {
          this.free--
          return inSlot
        }
        const turn = Deferred.unsafeMake<void>(FiberId.none)
        this.waiting.push(turn)
        return Effect.zipRight(Effect.onInterrupt(restore(Deferred.await(turn)), () => Effect.sync(() => this.leave(turn))), inSlot)
      })
    )
  }

  // a slot given back: to the longest waiter, else free
  private handOver(): void {
    if (this.head < this.waiting.length) {
      const next = this.waiting[this.head]!
      this.waiting[this.head++] = undefined
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting = this.waiting.slice(this.head)
        this.head = 0
      }
      Deferred.unsafeDone(next, Exit.void)
    } else this.free++
  }

  // a waiter interrupted: out of the line; one that had been handed its slot already gives it on
  private leave(turn: Deferred.Deferred<void>): void {
    const at = this.waiting.indexOf(turn, this.head)
    if (at !== -1) this.waiting.splice(at, 1)
    else this.handOver()
  }
}
