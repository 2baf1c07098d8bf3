import { Cause, Clock, Duration, Effect, Exit } from "effect";
const percentile = (sorted, p) => {
  const n = sorted.length;
  if (n === 0) return 0;
  const rank = Math.min(n, Math.max(1, Math.ceil(p * n)));
  return sorted[rank - 1];
};
class RollingStats {
  /** Window length in milliseconds. */
  windowMs;
  /** Ring buffer capacity. */
  maxSamples;
  at;
  latency;
  failed;
  /** Next write position in the ring. */
  head = 0;
  /** Number of valid samples in the ring (`<= maxSamples`). */
  size = 0;
  total = 0;
  totalErrors = 0;
  /** Bumped on every `record`, to cache `window`. */
  version = 0;
  cached;
  constructor(options = {}) {
    const maxSamples = Math.floor(options.maxSamples ?? 1e3);
    if (!(maxSamples >= 1)) throw new RangeError("RollingStats: maxSamples must be >= 1");
    this.windowMs = Duration.toMillis(options.window ?? Duration.seconds(60));
    this.maxSamples = maxSamples;
    this.at = new Float64Array(maxSamples);
    this.latency = new Float64Array(maxSamples);
    this.failed = new Uint8Array(maxSamples);
  }
  /** Records one completed call; O(1). */
  record(latencyMs, ok, nowMs) {
    const i = this.head;
    this.at[i] = nowMs;
    this.latency[i] = latencyMs;
    this.failed[i] = ok ? 0 : 1;
    this.head = (i + 1) % this.maxSamples;
    if (this.size < this.maxSamples) this.size++;
    this.total++;
    if (!ok) this.totalErrors++;
    this.version++;
  }
  /** Totals since creation and p50/p95 of the samples in the ring. */
  snapshot() {
    const sorted = this.latency.slice(0, this.size).sort();
    return {
      count: this.total,
      errors: this.totalErrors,
      p50_ms: percentile(sorted, 0.5),
      p95_ms: percentile(sorted, 0.95)
    };
  }
  /**
   * Statistics of the samples recorded less than `windowMs` before `nowMs`.
   * Repeated calls with the same `nowMs` and no new samples are served from a cache.
   */
  window(nowMs) {
    const cached = this.cached;
    if (cached !== void 0 && cached.version === this.version && cached.nowMs === nowMs) {
      return cached.stats;
    }
    const cutoff = nowMs - this.windowMs;
    const lat = new Float64Array(this.size);
    let count = 0;
    let errors = 0;
    for (let k = 1; k <= this.size; k++) {
      const i = (this.head - k + this.maxSamples) % this.maxSamples;
      if (this.at[i] <= cutoff) break;
      lat[count++] = this.latency[i];
      errors += this.failed[i];
    }
    const sorted = lat.subarray(0, count).sort();
    const stats = {
      count,
      errors,
      errorRate: count === 0 ? 0 : errors / count,
      p95_ms: percentile(sorted, 0.95)
    };
    this.cached = { version: this.version, nowMs, stats };
    return stats;
  }
}
const make = (options = {}) => Effect.sync(() => new RollingStats(options));
const record = (stats, latencyMs, ok) => Effect.map(Clock.currentTimeMillis, (now) => stats.record(latencyMs, ok, now));
const snapshot = (stats) => Effect.sync(() => stats.snapshot());
const window = (stats) => Effect.map(Clock.currentTimeMillis, (now) => stats.window(now));
const nanosToMillis = (nanos) => Number(nanos) / 1e6;
const track = (stats) => (self) => Effect.flatMap(Clock.currentTimeNanos, (start) => Effect.onExit(self, (exit) => Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause) ? Effect.void : Effect.flatMap(
  Clock.currentTimeNanos,
  (end) => record(stats, nanosToMillis(end - start), Exit.isSuccess(exit))
)));
export {
  RollingStats,
  make,
  percentile,
  record,
  snapshot,
  track,
  window
};
//# sourceMappingURL=RollingStats.js.map
