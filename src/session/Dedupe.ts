import { Deferred, Effect, FiberId, Option } from "effect"

/**
 * Client message ids a user already sent, with the result of their first
 * processing (PROTOCOL §5). An id is remembered while it is among the last
 * `minEntries` OR younger than `windowMs`, never more than `maxEntries`.
 * Only successes are remembered: a failed first attempt may be retried.
 */
export interface DedupeOptions {
  readonly windowMs: number
  readonly minEntries: number
  readonly maxEntries: number
}

/** What `begin` found for an id. */
export type DedupeClaim =
  | { readonly _tag: "New" }
  | { readonly _tag: "Duplicate"; readonly result: unknown }

/** One claim of an id: pending while its first processing runs, then done. */
class Entry {
  done = false
  result: unknown = undefined
  at = 0
  // made only when a concurrent duplicate has to wait for the outcome (rare)
  outcome: Deferred.Deferred<Option.Option<unknown>> | undefined = undefined

  constructor(readonly id: string) {}
}

const NEW: DedupeClaim = { _tag: "New" }

/**
 * The dedupe store of one user, shared by all of the user's connections.
 * The frame path uses the synchronous `claim`/`settle`; `begin` is `claim`
 * as an Effect that also waits out a concurrent claim.
 */
export class DedupeStore {
  private readonly entries = new Map<string, Entry>()
  /** claims, oldest first: eviction pops from `head` (a Map's oldest key is slow to reach once many were deleted) */
  private order: Array<Entry> = []
  private head = 0

  constructor(readonly options: DedupeOptions) {}

  /**
   * Claims `id` for processing (`New`), or returns its first result
   * (`Duplicate`); `undefined` while another claim of it is still running —
   * `begin` waits for that one.
   */
  claim(id: string): DedupeClaim | undefined {
    const entry = this.entries.get(id)
    if (entry === undefined) {
      const claimed = new Entry(id)
      this.entries.set(id, claimed)
      this.order.push(claimed)
      return NEW
    }
    // still held means still inside the window: eviction drops exactly what may go
    return entry.done ? { _tag: "Duplicate", result: entry.result } : undefined
  }

  /**
   * Ends a claim: a success is remembered (at `nowMs`), a failure forgotten so
   * that a retry is processed again. Wakes a concurrent duplicate either way.
   */
  settle(id: string, success: { readonly result: unknown } | undefined, nowMs: number): void {
    const entry = this.entries.get(id)
    if (entry === undefined || entry.done) return
    if (success === undefined) this.entries.delete(id)
    else {
      entry.done = true
      entry.result = success.result
      entry.at = nowMs
    }
    if (entry.outcome !== undefined) {
      Deferred.unsafeDone(entry.outcome, Effect.succeed(success === undefined ? Option.none() : Option.some(success.result)))
    }
    if (success !== undefined) this.evict(nowMs)
    else if (this.order.length - this.head > 2 * this.entries.size + 64) this.dropStaleClaims()
  }

  /**
   * Claims `id` for processing, or returns the first result. A concurrent
   * claim of the same id (another connection, same moment) waits for the
   * first one's outcome instead of processing twice.
   */
  begin(id: string): Effect.Effect<DedupeClaim> {
    return Effect.suspend(() => {
      const claim = this.claim(id)
      if (claim !== undefined) return Effect.succeed(claim)
      const entry = this.entries.get(id)!
      entry.outcome ??= Deferred.unsafeMake(FiberId.none)
      return Effect.flatMap(Deferred.await(entry.outcome), (outcome) =>
        Option.isSome(outcome)
          ? Effect.succeed<DedupeClaim>({ _tag: "Duplicate", result: outcome.value })
          : this.begin(id))
    })
  }

  /** How many ids are remembered (pending included). */
  get size(): number {
    return this.entries.size
  }

  private evict(nowMs: number): void {
    // oldest first: stop at the first id that must still be kept
    while (this.head < this.order.length && this.entries.size > this.options.minEntries) {
      const entry = this.order[this.head]!
      // a released (or released and claimed again) id left a stale claim behind
      if (this.entries.get(entry.id) === entry) {
        if (!entry.done) break
        const expired = nowMs - entry.at >= this.options.windowMs
        if (!expired && this.entries.size <= this.options.maxEntries) break
        this.entries.delete(entry.id)
      }
      this.head++
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head)
      this.head = 0
    }
  }

  // released claims stay in `order` until eviction reaches them: bound them when failures pile up
  private dropStaleClaims(): void {
    this.order = this.order.slice(this.head).filter((entry) => this.entries.get(entry.id) === entry)
    this.head = 0
  }
}
