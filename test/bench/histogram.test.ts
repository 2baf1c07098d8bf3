import { describe, expect, it } from "vitest"
import { bucketBounds, bucketIndex, LatencyHistogram } from "../../scripts/bench/histogram.js"

const filled = (values: ReadonlyArray<number>): LatencyHistogram => {
  const h = new LatencyHistogram()
  for (const v of values) h.recordMicros(v)
  return h
}

describe("bucketIndex / bucketBounds", () => {
  it("keeps values below 128 µs exact", () => {
    for (const v of [0, 1, 63, 127]) expect(bucketBounds(bucketIndex(v))).toEqual({ low: v, high: v })
  })

  it("puts every value inside its bucket, buckets contiguous and within 1.6 %", () => {
    let previousHigh = -1
    for (let index = 0; index < 1500; index++) {
      const { low, high } = bucketBounds(index)
      expect(low).toBe(previousHigh + 1)
      expect(bucketIndex(low)).toBe(index)
      expect(bucketIndex(high)).toBe(index)
      expect((high - low) / Math.max(1, low)).toBeLessThanOrEqual(1 / 64)
      previousHigh = high
    }
  })

  it("clamps negative values to 0", () => {
    expect(bucketIndex(-5)).toBe(0)
  })
})

describe("LatencyHistogram", () => {
  it("has no percentiles when empty", () => {
    const h = new LatencyHistogram()
    expect(h.percentileMicros(50)).toBeUndefined()
    expect(h.summary()).toEqual({ count: 0, p50_ms: null, p99_ms: null, p999_ms: null, max_ms: null, mean_ms: null })
  })

  it("gives exact nearest-rank percentiles for small values", () => {
    const h = filled(Array.from({ length: 100 }, (_, i) => i + 1)) // 1..100 µs
    expect(h.percentileMicros(50)).toBe(50)
    expect(h.percentileMicros(99)).toBe(99)
    expect(h.percentileMicros(99.9)).toBe(100)
    expect(h.percentileMicros(100)).toBe(100)
  })

  it("gives p50 / p99 / p99.9 within the bucket precision for large values", () => {
    const h = filled(Array.from({ length: 10_000 }, (_, i) => (i + 1) * 100)) // 0.1 ms … 1000 ms
    const near = (actual: number | undefined, expected: number): void => {
      expect(actual).toBeDefined()
      expect(Math.abs(actual! - expected) / expected).toBeLessThan(0.01)
    }
    near(h.percentileMicros(50), 500_000)
    near(h.percentileMicros(99), 990_000)
    near(h.percentileMicros(99.9), 999_000)
    const s = h.summary()
    expect(s.count).toBe(10_000)
    expect(s.max_ms).toBe(1000)
    expect(s.mean_ms).toBeCloseTo(500.05, 6)
    near(s.p99_ms === null ? undefined : s.p99_ms * 1000, 990_000)
  })

  it("does not depend on the order of recording, and a single sample is every percentile", () => {
    const values = [5000, 3, 700, 42, 129_000, 88]
    const a = filled(values)
    const b = filled([...values].reverse())
    for (const p of [1, 50, 90, 99, 99.9]) expect(a.percentileMicros(p)).toBe(b.percentileMicros(p))
    const one = filled([1234])
    expect(one.percentileMicros(50)).toBe(1234)
    expect(one.percentileMicros(99.9)).toBe(1234)
  })

  it("records milliseconds as microseconds and reports milliseconds", () => {
    const h = new LatencyHistogram()
    h.recordMillis(0.05)
    h.recordMillis(2)
    expect(h.summary().max_ms).toBe(2)
    expect(h.percentileMicros(50)).toBe(50)
  })

  it("forgets everything on reset", () => {
    const h = filled([1, 2, 3])
    h.reset()
    expect(h.count).toBe(0)
    expect(h.percentileMicros(50)).toBeUndefined()
    h.recordMicros(7)
    expect(h.summary().max_ms).toBe(0.007)
  })
})

describe("LatencyHistogram.add", () => {
  it("gives the percentiles of both sets of samples together", () => {
    const same = filled([100, 200, 300])
    same.add(filled([1000, 2000]))
    const both = filled([100, 200, 300, 1000, 2000])
    expect(same.summary()).toEqual(both.summary())
  })

  it("adding an empty histogram changes nothing", () => {
    const h = filled([5, 50, 500])
    const before = h.summary()
    h.add(new LatencyHistogram())
    expect(h.summary()).toEqual(before)
  })
})
