/**
 * The per-user bounds on agent runs (PROTOCOL §10): runs started in any
 * minute, and runs going at once. One `RunLimiter` lives with each user's
 * `RunRegistry`, so the limits follow the user's session across connections
 * and are freed with it. Import as a namespace:
 * `import * as RunLimits from "./RunLimits.js"`.
 */
import { Data } from "effect"

/** The window `perMinute` counts starts in. */
export const WINDOW_MS = 60_000

/** What a user over `concurrent` is told to wait: a run of the built-in agent takes about this long. */
export const CONCURRENT_RETRY_MS = 1_000

/** A user's run limits; `Infinity` (or 0 from the environment, see `fromSettings`) is no limit. */
export interface Options {
  /** runs started in any `WINDOW_MS`, at most */
  readonly perMinute: number
  /** runs going at once, at most */
  readonly concurrent: number
}

/** No limit: what a throwaway run registry (the migration's shadow side) gets. */
export const unlimited: Options = { perMinute: Infinity, concurrent: Infinity }

/** The limits of the settings (`RUN_RATE_LIMIT_PER_MIN`, `MAX_RUNS_PER_USER`): 0 turns one off. */
export const fromSettings = (perMinute: number, concurrent: number): Options => ({
  perMinute: perMinute > 0 ? perMinute : Infinity,
  concurrent: concurrent > 0 ? concurrent : Infinity
})

/** A run request over one of the user's limits; the client gets `RATE_LIMITED` with `retryAfterMs`. */
export class RunLimitExceeded extends Data.TaggedError("RunLimitExceeded")<{
  readonly reason: "PerMinute" | "Concurrent"
  readonly limit: number
  /** a positive integer */
  readonly retryAfterMs: number
}> {
  override get message(): string {
    return this.reason === "PerMinute"
      ? `too many agent runs: at most ${this.limit} may start per minute`
      : `too many agent runs: at most ${this.limit} may run at once; wait for one to end`
  }
}

/**
 * The run limits of one user. `perMinute` is a sliding window: the start times
 * of the last `perMinute` runs in a ring, so a start is allowed when the
 * oldest of them is a window old — memory bounded by the limit, O(1) a start.
 * Times come from the caller (effect's `Clock`), so `TestClock` drives it.
 */
export class RunLimiter {
  private readonly starts: Array<number> = []
  /** the ring's oldest entry once it is full */
  private oldest = 0
  private running = 0

  constructor(readonly options: Options) {}

  /** Runs going now (those `tryStart` admitted and `ended` has not released). */
  get active(): number {
    return this.running
  }

  /** Admits a run starting at `now` (and counts it), or says why not and how long to wait. */
  tryStart(now: number): RunLimitExceeded | undefined {
    const { concurrent, perMinute } = this.options
    if (this.running >= concurrent) {
      return new RunLimitExceeded({ reason: "Concurrent", limit: concurrent, retryAfterMs: CONCURRENT_RETRY_MS })
    }
    if (perMinute !== Infinity) {
      if (this.starts.length < perMinute) this.starts.push(now)
      else {
        const free = this.starts[this.oldest]! + WINDOW_MS
        if (free > now) {
          return new RunLimitExceeded({ reason: "PerMinute", limit: perMinute, retryAfterMs: Math.max(1, Math.ceil(free - now)) })
        }
        this.starts[this.oldest] = now
        this.oldest = (this.oldest + 1) % perMinute
      }
    }
    this.running++
    return undefined
  }

  /** A run admitted by `tryStart` ended: its slot is free. */
  ended(): void {
    if (this.running > 0) this.running--
  }
}
