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

type Entry =
  // the outcome is made only when a concurrent duplicate has to wait for it (rare)
  | { readonly _tag: "Pending"; outcome: Deferred.Deferred<Option.Option<unknown>> | undefined }
  | { readonly _tag: "Done"; readonly result: unknown; readonly at: number }

const NEW: DedupeClaim = { _tag: "New" }

/** The dedupe store of one user, shared by all of the user's connections. */
export class DedupeStore {
  private readonly entries = new Map<string, Entry>()

  constructor(readonly options: DedupeOptions) {}

  /**
   * Claims `id` for processing, or returns the first result. A concurrent
   * claim of the same id (another connection, same moment) waits for the
   * first one's outcome instead of processing twice.
   */
  begin(id: string): Effect.Effect<DedupeClaim> {
    return Effect.suspend(() => {
      const entry = this.entries.get(id)
      if (entry === undefined) return this.claim(id)
      // still held means still inside the window: eviction drops exactly what may go
      if (entry._tag === "Done") return Effect.succeed<DedupeClaim>({ _tag: "Duplicate", result: entry.result })
      entry.outcome ??= Deferred.unsafeMake(FiberId.none)
      return Effect.flatMap(Deferred.await(entry.outcome), (outcome) =>
        Option.isSome(outcome)
          ? Effect.succeed<DedupeClaim>({ _tag: "Duplicate", result: outcome.value })
          : this.begin(id))
    })
  }

  /** Remembers the result of a claimed id. */
  complete(id: string, result: unknown): Effect.Effect<void> {
    return Effect.clockWith((clock) =>
      Effect.sync(() => {
        const entry = this.entries.get(id)
        const now = clock.unsafeCurrentTimeMillis()
        this.entries.set(id, { _tag: "Done", result, at: now })
        if (entry?._tag === "Pending" && entry.outcome !== undefined) {
          Deferred.unsafeDone(entry.outcome, Effect.succeed(Option.some(result)))
        }
        this.evict(now)
      })
    )
  }

  /** Forgets a claimed id whose processing failed, so a retry is processed again. */
  release(id: string): Effect.Effect<void> {
    return Effect.sync(() => {
      const entry = this.entries.get(id)
      if (entry?._tag !== "Pending") return
      this.entries.delete(id)
      if (entry.outcome !== undefined) Deferred.unsafeDone(entry.outcome, Effect.succeed(Option.none()))
    })
  }

  /** How many ids are remembered (pending included). */
  get size(): number {
    return this.entries.size
  }

  private claim(id: string): Effect.Effect<DedupeClaim> {
    return Effect.sync(() => {
      this.entries.set(id, { _tag: "Pending", outcome: undefined })
      return NEW
    })
  }

  private evict(nowMs: number): void {
    // oldest first: stop at the first id that must still be kept
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.options.minEntries || entry._tag === "Pending") return
      const expired = nowMs - entry.at >= this.options.windowMs
      if (!expired && this.entries.size <= this.options.maxEntries) return
      this.entries.delete(key)
    }
  }
}
