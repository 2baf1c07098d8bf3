import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import type { RunRecord, RunStatus } from "../../../src/agent/RunRecord.js"
import { computeMetrics, percentile } from "../../../src/agent/quality/QualityMetrics.js"

const NOW = 1_800_000_000_000

const mkRun = (runId: string, over: Partial<RunRecord> = {}): RunRecord => ({
  runId,
  threadId: undefined,
  agent: "default",
  status: "completed",
  startedAt: NOW - 1_000,
  endedAt: NOW - 900,
  tools: [],
  responseText: undefined,
  errorCode: undefined,
  ...over
})

/** An ended run that started `agoMs` before NOW and took `latencyMs`. */
const ended = (runId: string, status: Exclude<RunStatus, "running">, latencyMs: number, agoMs = 10_000): RunRecord =>
  mkRun(runId, { status, startedAt: NOW - agoMs, endedAt: NOW - agoMs + latencyMs })

const running = (runId: string, agoMs = 10_000): RunRecord =>
  mkRun(runId, { status: "running", startedAt: NOW - agoMs, endedAt: undefined })

describe("percentile (nearest rank)", () => {
  it("picks the value at rank ceil(p/100 * n)", () => {
    const sorted = [15, 20, 35, 40, 50]
    expect(percentile(sorted, 5)).toBe(15)
    expect(percentile(sorted, 30)).toBe(20)
    expect(percentile(sorted, 40)).toBe(20)
    expect(percentile(sorted, 50)).toBe(35)
    expect(percentile(sorted, 100)).toBe(50)
  })

  it("is exact at integer ranks (95th of 20 values is the 19th)", () => {
    const sorted = Array.from({ length: 20 }, (_, i) => (i + 1) * 100)
    expect(percentile(sorted, 95)).toBe(1_900)
    expect(percentile(sorted, 50)).toBe(1_000)
  })

  it("is 0 for no values and the value itself for one", () => {
    expect(percentile([], 50)).toBe(0)
    expect(percentile([42], 50)).toBe(42)
    expect(percentile([42], 95)).toBe(42)
  })
})

describe("computeMetrics", () => {
  it("with no runs: zero counts, success_rate 1, latencies 0", () => {
    expect(computeMetrics([], NOW)).toEqual({
      runs: 0,
      completed: 0,
      failed: 0,
      cancelled: 0,
      success_rate: 1,
      latency_ms: { p50: 0, p95: 0 },
      tools: {}
    })
  })

  it("has exactly the PROTOCOL §4 keys", () => {
    expect(Object.keys(computeMetrics([ended("a", "completed", 10)], NOW)).sort()).toEqual(
      ["cancelled", "completed", "failed", "latency_ms", "runs", "success_rate", "tools"]
    )
  })

  it("counts statuses; success_rate is completed over finished runs", () => {
    const metrics = computeMetrics([
      ended("a", "completed", 100),
      ended("b", "completed", 200),
      ended("c", "completed", 300),
      ended("d", "failed", 400),
      ended("e", "cancelled", 500),
      running("f"),
      running("g")
    ], NOW)
    expect(metrics.runs).toBe(7)
    expect(metrics.completed).toBe(3)
    expect(metrics.failed).toBe(1)
    expect(metrics.cancelled).toBe(1)
    expect(metrics.success_rate).toBeCloseTo(3 / 5)
  })

  it("only running runs: success_rate 1 and no latency", () => {
    const metrics = computeMetrics([running("a"), running("b")], NOW)
    expect(metrics.runs).toBe(2)
    expect(metrics.success_rate).toBe(1)
    expect(metrics.latency_ms).toEqual({ p50: 0, p95: 0 })
  })

  it("all failed: success_rate 0", () => {
    expect(computeMetrics([ended("a", "failed", 1), ended("b", "failed", 1)], NOW).success_rate).toBe(0)
  })

  it("latency percentiles cover ended runs of every status, not running ones", () => {
    const runs = [
      ...Array.from({ length: 18 }, (_, i) => ended(`c${i}`, "completed", (i + 1) * 100)),
      ended("f", "failed", 1_900),
      ended("x", "cancelled", 2_000),
      running("r", 3_600_000 - 1) // would dominate p95 if it were counted
    ]
    const metrics = computeMetrics(runs, NOW)
    expect(metrics.latency_ms).toEqual({ p50: 1_000, p95: 1_900 })
  })

  it("ignores a running run that somehow has an end time, and a clock that went backwards yields 0", () => {
    const metrics = computeMetrics([
      mkRun("r", { status: "running", startedAt: NOW - 100, endedAt: NOW + 5_000_000 }),
      mkRun("b", { status: "completed", startedAt: NOW - 100, endedAt: NOW - 200 })
    ], NOW)
    expect(metrics.latency_ms).toEqual({ p50: 0, p95: 0 })
    expect(metrics.runs).toBe(2)
  })

  it("counts tools across runs, repeats and running runs included", () => {
    const metrics = computeMetrics([
      mkRun("a", { tools: ["calculator", "search", "calculator"] }),
      mkRun("b", { status: "running", endedAt: undefined, tools: ["search"] }),
      mkRun("c", { tools: ["__proto__"] })
    ], NOW)
    expect(metrics.tools).toEqual({ calculator: 2, search: 2, ["__proto__"]: 1 })
    expect(Object.prototype.hasOwnProperty.call(metrics.tools, "__proto__")).toBe(true)
    expect(JSON.parse(JSON.stringify(metrics.tools))).toEqual({ calculator: 2, search: 2, ["__proto__"]: 1 })
  })

  it("windowS keeps only runs started within the last windowS seconds (boundary included)", () => {
    const runs = [
      ended("recent", "completed", 100, 10_000),
      ended("edge", "failed", 200, 300_000),
      ended("old", "failed", 300, 300_001),
      mkRun("old-tools", { startedAt: NOW - 3_600_000, endedAt: NOW - 3_500_000, tools: ["search"] })
    ]
    const windowed = computeMetrics(runs, NOW, 300)
    expect(windowed.runs).toBe(2)
    expect(windowed.completed).toBe(1)
    expect(windowed.failed).toBe(1)
    expect(windowed.success_rate).toBe(0.5)
    expect(windowed.tools).toEqual({})
    expect(windowed.latency_ms).toEqual({ p50: 100, p95: 200 })

    const all = computeMetrics(runs, NOW)
    expect(all.runs).toBe(4)
    expect(all.tools).toEqual({ search: 1 })
  })

  it("a window of 0 (or less) keeps only runs started at now", () => {
    const runs = [ended("now", "completed", 0, 0), ended("before", "completed", 1, 1)]
    expect(computeMetrics(runs, NOW, 0).runs).toBe(1)
    expect(computeMetrics(runs, NOW, -5).runs).toBe(1)
  })

  const arbStatus = fc.constantFrom<RunStatus>("running", "completed", "failed", "cancelled")
  const arbRun = fc.record({
    id: fc.string({ maxLength: 8 }),
    status: arbStatus,
    ago: fc.integer({ min: 0, max: 1_000_000 }),
    latency: fc.integer({ min: 0, max: 120_000 }),
    tools: fc.array(fc.constantFrom("calculator", "search", "clock"), { maxLength: 4 })
  }).map(({ ago, id, latency, status, tools }) =>
    mkRun(id, {
      status,
      startedAt: NOW - ago,
      endedAt: status === "running" ? undefined : NOW - ago + latency,
      tools
    })
  )

  it.prop(
    "success_rate is in [0, 1], counts add up, p50 <= p95, tool counts sum to the calls",
    { runs: fc.array(arbRun, { maxLength: 60 }), windowS: fc.option(fc.integer({ min: 0, max: 2_000 }), { nil: undefined }) },
    ({ runs, windowS }) => {
      const metrics = computeMetrics(runs, NOW, windowS)
      const inWindow = windowS === undefined ? runs : runs.filter((r) => r.startedAt >= NOW - windowS * 1000)
      const finished = metrics.completed + metrics.failed + metrics.cancelled
      expect(metrics.success_rate).toBeGreaterThanOrEqual(0)
      expect(metrics.success_rate).toBeLessThanOrEqual(1)
      expect(metrics.runs).toBe(inWindow.length)
      expect(metrics.runs - finished).toBe(inWindow.filter((r) => r.status === "running").length)
      expect(metrics.latency_ms.p50).toBeLessThanOrEqual(metrics.latency_ms.p95)
      expect(Object.values(metrics.tools).reduce((a, b) => a + b, 0)).toBe(
        inWindow.reduce((n, r) => n + r.tools.length, 0)
      )
      if (finished === 0) expect(metrics.success_rate).toBe(1)
      else expect(metrics.success_rate).toBeCloseTo(metrics.completed / finished)
    }
  )
})
