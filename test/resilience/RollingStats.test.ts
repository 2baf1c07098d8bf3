import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import * as RollingStats from "../../src/resilience/RollingStats.js"

describe("RollingStats", () => {
  it("is empty at first", () => {
    const stats = new RollingStats.RollingStats()
    expect(stats.snapshot()).toEqual({ count: 0, errors: 0, p50_ms: 0, p95_ms: 0 })
    expect(stats.window(0)).toEqual({ count: 0, errors: 0, errorRate: 0, p95_ms: 0 })
  })

  it("computes nearest-rank percentiles regardless of insertion order", () => {
    const stats = new RollingStats.RollingStats()
    const latencies = Array.from({ length: 100 }, (_, i) => i + 1).reverse()
    for (const l of latencies) stats.record(l, true, 0)
    expect(stats.snapshot()).toEqual({ count: 100, errors: 0, p50_ms: 50, p95_ms: 95 })
    expect(stats.window(0).p95_ms).toBe(95)
  })

  it("percentile helper", () => {
    expect(RollingStats.percentile([], 0.5)).toBe(0)
    expect(RollingStats.percentile([7], 0.95)).toBe(7)
    expect(RollingStats.percentile([1, 2, 3, 4], 0.5)).toBe(2)
    expect(RollingStats.percentile([1, 2, 3, 4], 0.95)).toBe(4)
  })

  it("counts errors and error rate", () => {
    const stats = new RollingStats.RollingStats()
    for (let i = 0; i < 10; i++) stats.record(1, i % 5 !== 0, 0)
    expect(stats.snapshot().errors).toBe(2)
    expect(stats.window(0)).toEqual({ count: 10, errors: 2, errorRate: 0.2, p95_ms: 1 })
  })

  it("keeps memory bounded while totals never reset", () => {
    const stats = new RollingStats.RollingStats({ maxSamples: 10 })
    // 10 slow failures, then 10 fast successes: the ring keeps only the latter.
    for (let i = 0; i < 10; i++) stats.record(1000, false, i)
    for (let i = 0; i < 10; i++) stats.record(5, true, 10 + i)
    expect(stats.snapshot()).toEqual({ count: 20, errors: 10, p50_ms: 5, p95_ms: 5 })
    expect(stats.window(20)).toEqual({ count: 10, errors: 0, errorRate: 0, p95_ms: 5 })
  })

  it("ring wraps correctly", () => {
    const stats = new RollingStats.RollingStats({ maxSamples: 3, window: "1 second" })
    for (let i = 1; i <= 7; i++) stats.record(i, true, i * 100)
    // Ring holds 5, 6, 7 (at 500, 600, 700 ms).
    expect(stats.snapshot().p50_ms).toBe(6)
    expect(stats.window(700).count).toBe(3)
    expect(stats.window(1550).count).toBe(2)
    expect(stats.window(1550).p95_ms).toBe(7)
    expect(stats.window(1700).count).toBe(0)
  })

  it.effect("window expires samples by Clock", () =>
    Effect.gen(function*() {
      const stats = yield* RollingStats.make({ window: "10 seconds" })
      yield* RollingStats.record(stats, 100, false)
      yield* RollingStats.record(stats, 100, false)
      yield* TestClock.adjust("5 seconds")
      yield* RollingStats.record(stats, 10, true)
      expect(yield* RollingStats.window(stats)).toEqual({ count: 3, errors: 2, errorRate: 2 / 3, p95_ms: 100 })
      yield* TestClock.adjust("4999 millis")
      expect((yield* RollingStats.window(stats)).count).toBe(3)
      yield* TestClock.adjust("1 millis")
      // The first two samples are exactly 10 s old: out of the window.
      expect(yield* RollingStats.window(stats)).toEqual({ count: 1, errors: 0, errorRate: 0, p95_ms: 10 })
      yield* TestClock.adjust("5 seconds")
      expect(yield* RollingStats.window(stats)).toEqual({ count: 0, errors: 0, errorRate: 0, p95_ms: 0 })
      // Totals are not affected by the window.
      expect(yield* RollingStats.snapshot(stats)).toEqual({ count: 3, errors: 2, p50_ms: 100, p95_ms: 100 })
    }))

  it.effect("defaults to a 60 second window", () =>
    Effect.gen(function*() {
      const stats = yield* RollingStats.make()
      yield* RollingStats.record(stats, 1, true)
      yield* TestClock.adjust("59 seconds")
      expect((yield* RollingStats.window(stats)).count).toBe(1)
      yield* TestClock.adjust("1 second")
      expect((yield* RollingStats.window(stats)).count).toBe(0)
    }))

  it("window results are cached but refreshed by new samples", () => {
    const stats = new RollingStats.RollingStats()
    stats.record(1, true, 0)
    const a = stats.window(0)
    expect(stats.window(0)).toBe(a)
    stats.record(1, false, 0)
    expect(stats.window(0).errors).toBe(1)
  })

  it.effect("track records latency and outcome by Clock", () =>
    Effect.gen(function*() {
      const stats = yield* RollingStats.make()
      const slow = yield* Effect.fork(Effect.sleep("250 millis").pipe(RollingStats.track(stats)))
      const failing = yield* Effect.fork(
        Effect.fail("nope").pipe(Effect.delay("40 millis"), RollingStats.track(stats), Effect.flip)
      )
      yield* TestClock.adjust("250 millis")
      yield* Fiber.join(slow)
      expect(yield* Fiber.join(failing)).toBe("nope")
      yield* Effect.exit(Effect.dieMessage("bug").pipe(RollingStats.track(stats)))
      // Latencies 250 (ok), 40 (error), 0 (defect).
      expect(yield* RollingStats.snapshot(stats)).toEqual({ count: 3, errors: 2, p50_ms: 40, p95_ms: 250 })
    }))

  it.effect("track does not record interruptions", () =>
    Effect.gen(function*() {
      const stats = yield* RollingStats.make()
      const fiber = yield* Effect.fork(RollingStats.track(stats)(Effect.never))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiber)
      expect((yield* RollingStats.snapshot(stats)).count).toBe(0)
    }))
})
