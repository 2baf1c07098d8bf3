import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc, Schema } from "effect"
import type { RunRecord, RunStatus } from "../../../src/agent/RunRecord.js"
import { computeReport, QualityReport, SLOWEST_LIMIT } from "../../../src/agent/quality/QualityReport.js"

const NOW = Date.parse("2026-11-23T10:00:00.000Z")

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

const ended = (
  runId: string,
  status: Exclude<RunStatus, "running">,
  latencyMs: number,
  agoMs = 60_000,
  over: Partial<RunRecord> = {}
): RunRecord => mkRun(runId, { status, startedAt: NOW - agoMs, endedAt: NOW - agoMs + latencyMs, ...over })

describe("computeReport", () => {
  const runs: ReadonlyArray<RunRecord> = [
    ended("r1", "completed", 100, 60_000, { threadId: "t-1", tools: ["calculator"] }),
    ended("r2", "completed", 700, 50_000, { agent: "researcher", tools: ["search", "search"] }),
    ended("r3", "failed", 3_000, 40_000, { errorCode: "TIMEOUT" }),
    ended("r4", "failed", 50, 30_000, { errorCode: "TIMEOUT" }),
    ended("r5", "failed", 20, 20_000),
    ended("r6", "cancelled", 900, 10_000, { threadId: "t-2" }),
    ended("r7", "completed", 400, 9_000, { errorCode: "IGNORED" }),
    mkRun("r8", { status: "running", startedAt: NOW - 5_000, endedAt: undefined, tools: ["calculator"] })
  ]

  it("totals, rates, latency, tools and errors", () => {
    const report = computeReport(runs, undefined, NOW)
    expect(report.totals).toEqual({ runs: 8, completed: 3, failed: 3, cancelled: 1, running: 1 })
    expect(report.rates.success_rate).toBeCloseTo(3 / 7)
    expect(report.rates.failure_rate).toBeCloseTo(3 / 7)
    expect(report.rates.cancel_rate).toBeCloseTo(1 / 7)
    // ended latencies sorted: 20, 50, 100, 400, 700, 900, 3000
    expect(report.latency_ms).toEqual({ p50: 400, p95: 3_000, max: 3_000 })
    expect(report.tools).toEqual({ calculator: 2, search: 2 })
    expect(report.errors).toEqual({ TIMEOUT: 2, UNKNOWN: 1 })
  })

  it("since defaults to the earliest run's start; until is now; both ISO-8601", () => {
    const report = computeReport(runs, undefined, NOW)
    expect(report.since).toBe(new Date(NOW - 60_000).toISOString())
    expect(report.until).toBe("2026-11-23T10:00:00.000Z")
  })

  it("sinceMs keeps only runs started at or after it and is echoed as since", () => {
    const sinceMs = NOW - 30_000
    const report = computeReport(runs, sinceMs, NOW)
    expect(report.since).toBe(new Date(sinceMs).toISOString())
    expect(report.totals).toEqual({ runs: 5, completed: 1, failed: 2, cancelled: 1, running: 1 })
    expect(report.errors).toEqual({ TIMEOUT: 1, UNKNOWN: 1 })
    expect(report.slowest.map((s) => s.run_id)).toEqual(["r6", "r7", "r4", "r5"])
  })

  it("slowest: top 5 ended runs, slowest first, thread_id only when known", () => {
    const report = computeReport(runs, undefined, NOW)
    expect(report.slowest).toHaveLength(SLOWEST_LIMIT)
    expect(report.slowest).toEqual([
      { run_id: "r3", agent: "default", latency_ms: 3_000, status: "failed" },
      { run_id: "r6", agent: "default", thread_id: "t-2", latency_ms: 900, status: "cancelled" },
      { run_id: "r2", agent: "researcher", latency_ms: 700, status: "completed" },
      { run_id: "r7", agent: "default", latency_ms: 400, status: "completed" },
      { run_id: "r1", agent: "default", thread_id: "t-1", latency_ms: 100, status: "completed" }
    ])
    expect("thread_id" in report.slowest[0]!).toBe(false)
  })

  it("slowest breaks latency ties by earlier start, then run id", () => {
    const report = computeReport([
      ended("b", "completed", 500, 1_000),
      ended("a", "completed", 500, 1_000),
      ended("c", "completed", 500, 2_000)
    ], undefined, NOW)
    expect(report.slowest.map((s) => s.run_id)).toEqual(["c", "a", "b"])
  })

  it("with no runs: a zero report whose period is empty", () => {
    const report = computeReport([], undefined, NOW)
    expect(report).toEqual({
      since: "2026-11-23T10:00:00.000Z",
      until: "2026-11-23T10:00:00.000Z",
      totals: { runs: 0, completed: 0, failed: 0, cancelled: 0, running: 0 },
      rates: { success_rate: 1, failure_rate: 0, cancel_rate: 0 },
      latency_ms: { p50: 0, p95: 0, max: 0 },
      slowest: [],
      tools: {},
      errors: {}
    })
  })

  it("only running runs: no latency, no slowest", () => {
    const report = computeReport([mkRun("r", { status: "running", endedAt: undefined })], undefined, NOW)
    expect(report.totals.running).toBe(1)
    expect(report.latency_ms).toEqual({ p50: 0, p95: 0, max: 0 })
    expect(report.slowest).toEqual([])
  })

  it("matches its schema and survives a JSON round trip", () => {
    const report = computeReport(runs, undefined, NOW)
    expect(Schema.decodeUnknownSync(QualityReport)(JSON.parse(JSON.stringify(report)))).toEqual(report)
  })

  const arbRun = fc.record({
    id: fc.string({ maxLength: 6 }),
    status: fc.constantFrom<RunStatus>("running", "completed", "failed", "cancelled"),
    ago: fc.integer({ min: 0, max: 100_000 }),
    latency: fc.integer({ min: 0, max: 100_000 }),
    code: fc.option(fc.constantFrom("TIMEOUT", "HANDLER_FAILED"), { nil: undefined })
  }).map(({ ago, code, id, latency, status }) =>
    mkRun(id, {
      status,
      startedAt: NOW - ago,
      endedAt: status === "running" ? undefined : NOW - ago + latency,
      errorCode: status === "failed" ? code : undefined
    })
  )

  it.prop(
    "totals add up, rates are shares of finished runs, slowest is sorted and bounded",
    { runs: fc.array(arbRun, { maxLength: 40 }), since: fc.option(fc.integer({ min: 0, max: 120_000 }), { nil: undefined }) },
    ({ runs, since }) => {
      const report = computeReport(runs, since === undefined ? undefined : NOW - since, NOW)
      const { cancelled, completed, failed, running } = report.totals
      expect(completed + failed + cancelled + running).toBe(report.totals.runs)
      const { cancel_rate, failure_rate, success_rate } = report.rates
      for (const rate of [cancel_rate, failure_rate, success_rate]) {
        expect(rate).toBeGreaterThanOrEqual(0)
        expect(rate).toBeLessThanOrEqual(1)
      }
      expect(success_rate + failure_rate + cancel_rate).toBeCloseTo(1)
      expect(report.slowest.length).toBe(Math.min(SLOWEST_LIMIT, completed + failed + cancelled))
      for (let i = 1; i < report.slowest.length; i++) {
        expect(report.slowest[i - 1]!.latency_ms).toBeGreaterThanOrEqual(report.slowest[i]!.latency_ms)
      }
      expect(report.latency_ms.p50).toBeLessThanOrEqual(report.latency_ms.p95)
      expect(report.latency_ms.p95).toBeLessThanOrEqual(report.latency_ms.max)
      expect(report.slowest[0]?.latency_ms ?? 0).toBe(report.latency_ms.max)
      expect(Object.values(report.errors).reduce((a, b) => a + b, 0)).toBe(failed)
      expect(Date.parse(report.since)).toBeLessThanOrEqual(Date.parse(report.until))
    }
  )
})
