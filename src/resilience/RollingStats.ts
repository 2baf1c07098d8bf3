/**
 * Rolling call statistics for one implementation (e.g. the `legacy` or `next`
 * side of a migrating message type).
 *
 * A {@link RollingStats} is a plain mutable class with synchronous, allocation-free
 * `record` (it runs on every frame) that takes the current time explicitly; the
 * module functions ({@link make}, {@link record}, {@link window}, {@link track})
 * wrap it in `Effect` and read time from `Clock`, so `TestClock` drives them.
 *
 * Memory is bounded: the last `maxSamples` samples live in a ring buffer. Totals
 * (`count`, `errors`) are kept since creation and never reset; percentiles and the
 * rolling window are computed from the samples still in the ring.
 *
 * @since 0.1.0
 */
import { Cause, Clock, Duration, Effect, Exit } from "effect"

/**
 * Totals since creation, with latency percentiles of the most recent samples
 * (at most `maxSamples` of them, regardless of age). Percentiles are `0` before
 * the first sample.
 *
 * @since 0.1.0
 */
export interface Snapshot {
  readonly count: number
  readonly errors: number
  readonly p50_ms: number
  readonly p95_ms: number
}

/**
 * Statistics over the rolling time window (at most the last `maxSamples`
 * samples). `errorRate` and `p95_ms` are `0` when the window is empty.
 *
 * @since 0.1.0
 */
export interface WindowStats {
  readonly count: number
  readonly errors: number
  readonly errorRate: number
  readonly p95_ms: number
}

/**
 * Options of {@link RollingStats} and {@link make}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** Length of the rolling window used by `window` (default 60 seconds). */
  readonly window?: Duration.DurationInput
  /** Capacity of the sample ring buffer (default 1000). */
  readonly maxSamples?: number
}

/**
 * Nearest-rank percentile (`p` in `(0, 1]`) of an ascending array; `0` when empty.
 *
 * @since 0.1.0
 */
export const percentile = (sorted: ArrayLike<number>, p: number): number => {
  const n = sorted.length
  if (n === 0) return 0
  const rank = Math.min(n, Math.max(1, Math.ceil(p * n)))
  return sorted[rank - 1]!
}

/**
 * Rolling statistics with synchronous methods taking `nowMs`.
 *
 * @since 0.1.0
 */
export class RollingStats {
  /** Window length in milliseconds. */
  readonly windowMs: number
  /** Ring buffer capacity. */
  readonly maxSamples: number
  private readonly at: Float64Array
  private readonly latency: Float64Array
  private readonly failed: Uint8Array
  /** Next write position in the ring. */
  private head = 0
  /** Number of valid samples in the ring (`<= maxSamples`). */
  private size = 0
  private total = 0
  private totalErrors = 0
  /** Bumped on every `record`, to cache `window`. */
  private version = 0
  private cached: { readonly version: number; readonly nowMs: number; readonly stats: WindowStats } | undefined

  constructor(options: Options = {}) {
    const maxSamples = Math.floor(options.maxSamples ?? 1000)
    if (!(maxSamples >= 1)) throw new RangeError("RollingStats: maxSamples must be >= 1")
    this.windowMs = Duration.toMillis(options.window ?? Duration.seconds(60))
    this.maxSamples = maxSamples
    this.at = new Float64Array(maxSamples)
    this.latency = new Float64Array(maxSamples)
    this.failed = new Uint8Array(maxSamples)
  }

  /** Records one completed call; O(1). */
  record(latencyMs: number, ok: boolean, nowMs: number): void {
    const i = this.head
    this.at[i] = nowMs
    this.latency[i] = latencyMs
    this.failed[i] = ok ? 0 : 1
    this.head = (i + 1) % this.maxSamples
    if (this.size < this.maxSamples) this.size++
    this.total++
    if (!ok) this.totalErrors++
    this.version++
  }

  /** Totals since creation and p50/p95 of the samples in the ring. */
  snapshot(): Snapshot {
    const sorted = this.latency.slice(0, this.size).sort()
    return {
      count: this.total,
      errors: this.totalErrors,
      p50_ms: percentile(sorted, 0.5),
      p95_ms: percentile(sorted, 0.95)
    }
  }

  /**
   * Statistics of the samples recorded less than `windowMs` before `nowMs`.
   * Repeated calls with the same `nowMs` and no new samples are served from a cache.
   */
  window(nowMs: number): WindowStats {
    const cached = this.cached
    if (cached !== undefined && cached.version === this.version && cached.nowMs === nowMs) {
      return cached.stats
    }
    const cutoff = nowMs - this.windowMs
    const lat = new Float64Array(this.size)
    let count = 0
    let errors = 0
    // Walk from newest to oldest; samples are in time order, so stop at the first expired one.
    for (let k = 1; k <= this.size; k++) {
      const i = (this.head - k + this.maxSamples) % this.maxSamples
      if (this.at[i]! <= cutoff) break
      lat[count++] = this.latency[i]!
      errors += this.failed[i]!
    }
    const sorted = lat.subarray(0, count).sort()
    const stats: WindowStats = {
      count,
      errors,
      errorRate: count === 0 ? 0 : errors / count,
      p95_ms: percentile(sorted, 0.95)
    }
    this.cached = { version: this.version, nowMs, stats }
    return stats
  }
}

/**
 * Creates a {@link RollingStats}.
 *
 * @since 0.1.0
 */
export const make = (options: Options = {}): Effect.Effect<RollingStats> => Effect.sync(() => new RollingStats(options))

/**
 * Records one completed call at the current `Clock` time.
 *
 * @since 0.1.0
 */
export const record = (stats: RollingStats, latencyMs: number, ok: boolean): Effect.Effect<void> =>
  Effect.map(Clock.currentTimeMillis, (now) => stats.record(latencyMs, ok, now))

/**
 * Reads totals and percentiles.
 *
 * @since 0.1.0
 */
export const snapshot = (stats: RollingStats): Effect.Effect<Snapshot> => Effect.sync(() => stats.snapshot())

/**
 * Reads the rolling window at the current `Clock` time.
 *
 * @since 0.1.0
 */
export const window = (stats: RollingStats): Effect.Effect<WindowStats> =>
  Effect.map(Clock.currentTimeMillis, (now) => stats.window(now))

const nanosToMillis = (nanos: bigint): number => Number(nanos) / 1_000_000

/**
 * Runs `self`, measuring its latency with `Clock` (sub-millisecond precision) and
 * recording it: success as ok, failure or defect as an error. Interruption is not
 * recorded. Pipeable: `effect.pipe(track(stats))`.
 *
 * @since 0.1.0
 */
export const track =
  (stats: RollingStats) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.flatMap(Clock.currentTimeNanos, (start) =>
      Effect.onExit(self, (exit) =>
        Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)
          ? Effect.void
          : Effect.flatMap(
            Clock.currentTimeNanos,
            (end) => record(stats, nanosToMillis(end - start), Exit.isSuccess(exit))
          )))
