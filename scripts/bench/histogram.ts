/**
 * A log-linear latency histogram (HdrHistogram-like, fixed precision):
 * values are recorded in integer microseconds; 0–127 µs are exact, above
 * that every power of two is split into 64 buckets (≤ 1.6 % relative error).
 * Memory is constant whatever the number of samples.
 */

const EXACT = 128
const SUB = 64
/** values are clamped to 2^40 µs (≈ 12 days) */
const MAX_SHIFT = 34
const BUCKETS = SUB * (MAX_SHIFT + 2)
const MAX_VALUE = 2 ** 40 - 1

/** The bucket a value (µs, ≥ 0) falls into. */
export const bucketIndex = (micros: number): number => {
  const v = Math.min(MAX_VALUE, Math.max(0, Math.floor(micros)))
  if (v < EXACT) return v
  const shift = Math.floor(Math.log2(v)) - 6
  return SUB * shift + Math.floor(v / 2 ** shift)
}

/** The lowest and highest value (µs) of a bucket. */
export const bucketBounds = (index: number): { readonly low: number; readonly high: number } => {
  if (index < EXACT) return { low: index, high: index }
  const shift = Math.floor(index / SUB) - 1
  const mantissa = index - SUB * shift
  return { low: mantissa * 2 ** shift, high: (mantissa + 1) * 2 ** shift - 1 }
}

/** Percentiles in milliseconds; null when nothing was recorded. */
export interface LatencySummary {
  readonly count: number
  readonly p50_ms: number | null
  readonly p99_ms: number | null
  readonly p999_ms: number | null
  readonly max_ms: number | null
  readonly mean_ms: number | null
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS)
  private total = 0
  private sum = 0
  private min = Number.POSITIVE_INFINITY
  private max = Number.NEGATIVE_INFINITY

  get count(): number {
    return this.total
  }

  recordMicros(micros: number): void {
    const v = Math.min(MAX_VALUE, Math.max(0, Math.round(micros)))
    this.counts[bucketIndex(v)]! += 1
    this.total += 1
    this.sum += v
    if (v < this.min) this.min = v
    if (v > this.max) this.max = v
  }

  recordMillis(millis: number): void {
    this.recordMicros(millis * 1000)
  }

  /** Adds every sample of `other` to this one. */
  add(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!
    this.total += other.total
    this.sum += other.sum
    this.min = Math.min(this.min, other.min)
    this.max = Math.max(this.max, other.max)
  }

  reset(): void {
    this.counts.fill(0)
    this.total = 0
    this.sum = 0
    this.min = Number.POSITIVE_INFINITY
    this.max = Number.NEGATIVE_INFINITY
  }

  /**
   * The value (µs) at percentile `p` (0 < p ≤ 100), nearest-rank: the bucket
   * holding the ceil(p·n)-th smallest sample, reported as its midpoint and
   * clamped to the recorded min/max. Undefined when empty.
   */
  percentileMicros(p: number): number | undefined {
    if (this.total === 0) return undefined
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.total))
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!
      if (seen >= rank) {
        const { low, high } = bucketBounds(i)
        return Math.min(this.max, Math.max(this.min, (low + high) / 2))
      }
    }
    return this.max
  }

  summary(): LatencySummary {
    const ms = (micros: number | undefined): number | null => (micros === undefined ? null : micros / 1000)
    return {
      count: this.total,
      p50_ms: ms(this.percentileMicros(50)),
      p99_ms: ms(this.percentileMicros(99)),
      p999_ms: ms(this.percentileMicros(99.9)),
      max_ms: this.total === 0 ? null : this.max / 1000,
      mean_ms: this.total === 0 ? null : this.sum / this.total / 1000
    }
  }
}
