import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import * as RollbackPolicy from "../../src/resilience/RollbackPolicy.js"
import * as RollingStats from "../../src/resilience/RollingStats.js"

const side = (count: number, errorRate: number, p95_ms: number): RollbackPolicy.SideStats => ({
  count,
  errorRate,
  p95_ms
})

const reason = (o: Option.Option<RollbackPolicy.Rollback>): string =>
  Option.match(o, { onNone: () => "", onSome: (r) => r.reason })

describe("RollbackPolicy.decide", () => {
  it("keeps next when it is as good as legacy", () => {
    expect(RollbackPolicy.decide({ legacy: side(100, 0.01, 100), next: side(100, 0.03, 140) })).toEqual(Option.none())
  })

  it("rolls back when next's error rate exceeds legacy's by more than 5 points", () => {
    const o = RollbackPolicy.decide({ legacy: side(100, 0.01, 100), next: side(100, 0.12, 100) })
    expect(reason(o)).toBe("next error rate 12.0% exceeds legacy 1.0% by more than 5 points")
  })

  it("does not roll back at exactly the error-rate delta (float-safe)", () => {
    expect(RollbackPolicy.decide({ legacy: side(100, 0.02, 100), next: side(100, 0.07, 100) })).toEqual(Option.none())
    expect(Option.isSome(RollbackPolicy.decide({ legacy: side(100, 0.02, 100), next: side(100, 0.0701, 100) })))
      .toBe(true)
  })

  it("rolls back when next's p95 exceeds 1.5x legacy's", () => {
    expect(RollbackPolicy.decide({ legacy: side(50, 0, 100), next: side(50, 0, 150) })).toEqual(Option.none())
    const o = RollbackPolicy.decide({ legacy: side(50, 0, 100), next: side(50, 0, 151) })
    expect(reason(o)).toBe("next p95 latency 151.0 ms exceeds 1.5× legacy p95 100.0 ms")
  })

  it("ignores sub-millisecond latency differences (noise floor)", () => {
    expect(RollbackPolicy.decide({ legacy: side(50, 0, 0.2), next: side(50, 0, 0.9) })).toEqual(Option.none())
    expect(Option.isSome(RollbackPolicy.decide({ legacy: side(50, 0, 0.2), next: side(50, 0, 0.9) }, {
      minLatencyDeltaMs: 0
    }))).toBe(true)
  })

  it("reports both reasons when both rules fire", () => {
    const o = RollbackPolicy.decide({ legacy: side(50, 0, 10), next: side(50, 0.5, 100) })
    expect(reason(o)).toContain("error rate 50.0%")
    expect(reason(o)).toContain("; next p95 latency 100.0 ms")
  })

  it("never decides while either side has fewer than minimumSamples", () => {
    const bad = side(19, 1, 10_000)
    expect(RollbackPolicy.decide({ legacy: side(100, 0, 10), next: bad })).toEqual(Option.none())
    expect(RollbackPolicy.decide({ legacy: side(19, 0, 10), next: side(100, 1, 10_000) })).toEqual(Option.none())
    expect(Option.isSome(RollbackPolicy.decide({ legacy: side(20, 0, 10), next: side(20, 1, 10_000) }))).toBe(true)
  })

  it("compares against an error rate of 0 when legacy has no samples, skipping latency", () => {
    const o = RollbackPolicy.decide({ legacy: side(0, 0, 0), next: side(30, 0.1, 10_000) })
    expect(reason(o)).toBe("next error rate 10.0% exceeds 5% with no legacy samples")
    expect(RollbackPolicy.decide({ legacy: side(0, 0, 0), next: side(30, 0.05, 10_000) })).toEqual(Option.none())
    // Still needs next's minimum volume.
    expect(RollbackPolicy.decide({ legacy: side(0, 0, 0), next: side(10, 1, 1) })).toEqual(Option.none())
  })

  it("honours custom thresholds", () => {
    const thresholds = { maxErrorRateDelta: 0.2, maxLatencyRatio: 3, minimumSamples: 5 }
    expect(RollbackPolicy.decide({ legacy: side(5, 0, 100), next: side(5, 0.15, 250) }, thresholds))
      .toEqual(Option.none())
    expect(reason(RollbackPolicy.decide({ legacy: side(5, 0, 100), next: side(5, 0.25, 100) }, thresholds)))
      .toBe("next error rate 25.0% exceeds legacy 0.0% by more than 20 points")
    expect(reason(RollbackPolicy.decide({ legacy: side(5, 0, 100), next: side(5, 0, 301) }, thresholds)))
      .toBe("next p95 latency 301.0 ms exceeds 3× legacy p95 100.0 ms")
  })

  it("works on RollingStats windows", () => {
    const legacy = new RollingStats.RollingStats()
    const next = new RollingStats.RollingStats()
    for (let i = 0; i < 50; i++) {
      legacy.record(10, i % 50 !== 0, 0)
      next.record(12, i % 5 !== 0, 0)
    }
    const o = RollbackPolicy.decide({ legacy: legacy.window(0), next: next.window(0) })
    expect(reason(o)).toBe("next error rate 20.0% exceeds legacy 2.0% by more than 5 points")
  })
})
