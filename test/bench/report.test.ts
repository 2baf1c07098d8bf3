import { describe, expect, it } from "vitest"
import { medianOfReps, metricNames, ratios, summarize } from "../../scripts/bench/report.js"
import { formatFigure, formatRatio, formatTable } from "../../scripts/bench/table.js"

describe("medianOfReps", () => {
  it("takes the median of every metric over the repetitions, skipping failed ones", () => {
    const reps = [
      { p99_ms: 3, msgs_per_s: 1000 },
      null,
      { p99_ms: 1, msgs_per_s: 3000 },
      { p99_ms: 2, msgs_per_s: null }
    ]
    expect(medianOfReps(reps)).toEqual({ p99_ms: 2, msgs_per_s: 2000 })
  })

  it("keeps metrics only some repetitions have, in first-seen order", () => {
    expect(metricNames([{ a: 1 }, { b: 2, a: 3 }])).toEqual(["a", "b"])
    expect(medianOfReps([{ a: 1 }, { b: 2 }])).toEqual({ a: 1, b: 2 })
    expect(medianOfReps([null, null])).toEqual({})
  })
})

describe("ratios / summarize", () => {
  it("divides service by baseline per metric", () => {
    expect(ratios({ cpu_us_per_msg: 90, errors: 0 }, { cpu_us_per_msg: 30, errors: 0 })).toEqual({
      cpu_us_per_msg: 3,
      errors: null
    })
  })

  it("summarizes a scenario from its repetitions", () => {
    const summary = summarize("ping", {
      baseline: { reps: [{ p50_ms: 0.1 }, { p50_ms: 0.3 }, { p50_ms: 0.2 }], notes: [] },
      service: { reps: [{ p50_ms: 0.4 }, { p50_ms: 0.5 }, null], notes: ["rep 3: failed"] }
    })
    expect(summary.baseline.median["p50_ms"]).toBeCloseTo(0.2, 12)
    expect(summary.service.median["p50_ms"]).toBeCloseTo(0.45, 12)
    expect(summary.ratio["p50_ms"]).toBeCloseTo(2.25, 12)
    expect(summary.service.notes).toEqual(["rep 3: failed"])
  })
})

describe("table", () => {
  it("formats figures to about three significant digits", () => {
    expect(formatFigure(null)).toBe("–")
    expect(formatFigure(0)).toBe("0")
    expect(formatFigure(12_345.6)).toBe("12,346")
    expect(formatFigure(42.25)).toBe("42.3")
    expect(formatFigure(1.23456)).toBe("1.23")
    expect(formatFigure(0.012345)).toBe("0.0123")
    expect(formatRatio(2.345)).toBe("2.35×")
    expect(formatRatio(null)).toBe("–")
  })

  it("prints one row per scenario and metric with the ratio", () => {
    const summary = summarize("ack", {
      baseline: { reps: [{ msgs_per_s: 100 }], notes: [] },
      service: { reps: [{ msgs_per_s: 50 }], notes: [] }
    })
    const lines = formatTable([summary], ["baseline", "service"]).split("\n")
    expect(lines[0]).toMatch(/^scenario\s+metric\s+baseline\s+service\s+service\/baseline$/)
    expect(lines[2]).toMatch(/^ack\s+msgs_per_s\s+100\s+50\.0\s+0\.50×$/)
  })
})
