import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc, Option, Schema } from "effect"
import { AlertThresholds } from "../../../src/protocol/Quality.js"
import type { RunRecord, RunStatus } from "../../../src/agent/RunRecord.js"
import {
  DEFAULT_MIN_FINISHED,
  DEFAULT_WINDOW_S,
  evaluate,
  evaluateRuns,
  initialState,
  QualityAlert,
  type AlertState
} from "../../../src/agent/quality/QualityAlert.js"
import type { QualityMetrics } from "../../../src/agent/quality/QualityMetrics.js"

/** Metrics of `finished` finished runs of which `completed` completed, with the given p95. */
const metrics = (completed: number, finished: number, p95 = 100): QualityMetrics => ({
  runs: finished,
  completed,
  failed: finished - completed,
  cancelled: 0,
  success_rate: finished === 0 ? 1 : completed / finished,
  latency_ms: { p50: Math.min(50, p95), p95 },
  tools: {}
})

/** Runs a sequence of evaluations, returning the alert kinds ("-" for none) and the final state. */
const run = (state: AlertState, steps: ReadonlyArray<QualityMetrics>) => {
  const kinds: Array<string> = []
  for (const step of steps) {
    const result = evaluate(state, step)
    state = result.state
    kinds.push(Option.match(result.alert, { onNone: () => "-", onSome: (alert) => alert.kind }))
  }
  return { kinds, state }
}

describe("QualityAlert", () => {
  it("defaults: a 300 s window and 5 finished runs before alerting", () => {
    const state = initialState({ min_success_rate: 0.9 })
    expect(state.status).toBe("ok")
    expect(state.config.windowS).toBe(DEFAULT_WINDOW_S)
    expect(state.config.minFinished).toBe(DEFAULT_MIN_FINISHED)
    expect(DEFAULT_WINDOW_S).toBe(300)
    expect(DEFAULT_MIN_FINISHED).toBe(5)
  })

  it("breach → one alert; persists → none; recovers → reset; breach again → alert", () => {
    const state = initialState({ min_success_rate: 0.8 })
    const { kinds, state: last } = run(state, [
      metrics(10, 10), // healthy
      metrics(5, 10), // breach starts
      metrics(4, 10), // persists
      metrics(6, 10), // persists
      metrics(10, 10), // recovered
      metrics(10, 10), // healthy
      metrics(3, 10), // breach again
      metrics(3, 10) // persists
    ])
    expect(kinds).toEqual(["-", "breach", "-", "-", "recovered", "-", "breach", "-"])
    expect(last.status).toBe("breached")
  })

  it("the breach alert carries its reasons, the metrics and the thresholds", () => {
    const thresholds = { min_success_rate: 0.8, max_p95_ms: 1_000 }
    const m = metrics(2, 10, 4_500)
    const { alert, state } = evaluate(initialState(thresholds), m)
    expect(state.status).toBe("breached")
    const value = Option.getOrThrow(alert)
    expect(value.kind).toBe("breach")
    if (value.kind !== "breach") return
    expect(value.reasons).toHaveLength(2)
    expect(value.reasons[0]).toContain("success_rate 0.2")
    expect(value.reasons[0]).toContain("0.8")
    expect(value.reasons[1]).toContain("4500")
    expect(value.reasons[1]).toContain("1000")
    expect(value.metrics).toEqual(m)
    expect(value.thresholds).toEqual(thresholds)
    expect(Schema.decodeUnknownSync(QualityAlert)(JSON.parse(JSON.stringify(value)))).toEqual(value)
  })

  it("exactly at the threshold is not a breach", () => {
    expect(run(initialState({ min_success_rate: 0.8, max_p95_ms: 1_000 }), [metrics(8, 10, 1_000)]).kinds)
      .toEqual(["-"])
  })

  it("success_rate hysteresis: recovery needs min_success_rate + 0.05", () => {
    const { kinds } = run(initialState({ min_success_rate: 0.8 }), [
      metrics(70, 100), // 0.70 breach
      metrics(80, 100), // 0.80: back at the threshold but inside the margin
      metrics(84, 100), // 0.84: still inside the margin
      metrics(79, 100), // 0.79: dips again, no new alert
      metrics(85, 100), // 0.85: recovered
      metrics(79, 100) // a new breach
    ])
    expect(kinds).toEqual(["breach", "-", "-", "-", "recovered", "breach"])
  })

  it("p95 hysteresis: recovery needs p95 <= 90% of max_p95_ms", () => {
    const { kinds } = run(initialState({ max_p95_ms: 1_000 }), [
      metrics(10, 10, 1_200), // breach
      metrics(10, 10, 950), // within the threshold, not the margin
      metrics(10, 10, 1_100), // over again: same breach
      metrics(10, 10, 900), // recovered
      metrics(10, 10, 1_001) // breach again
    ])
    expect(kinds).toEqual(["breach", "-", "-", "recovered", "breach"])
  })

  it("margins are configurable; a min_success_rate of 1 recovers at 1", () => {
    expect(run(initialState({ min_success_rate: 0.8 }, { successRateMargin: 0 }), [metrics(7, 10), metrics(8, 10)]).kinds)
      .toEqual(["breach", "recovered"])
    expect(run(initialState({ min_success_rate: 1 }), [metrics(9, 10), metrics(10, 10)]).kinds)
      .toEqual(["breach", "recovered"])
  })

  it("needs minFinished finished runs before alerting", () => {
    const state = initialState({ min_success_rate: 0.9 })
    expect(run(state, [metrics(0, 4), metrics(0, 1), metrics(0, 0)]).kinds).toEqual(["-", "-", "-"])
    expect(run(state, [metrics(0, 4), metrics(0, 5)]).kinds).toEqual(["-", "breach"])
    expect(run(initialState({ min_success_rate: 0.9 }, { minFinished: 1 }), [metrics(0, 1)]).kinds).toEqual(["breach"])
  })

  it("running runs do not count towards minFinished", () => {
    const m = { ...metrics(0, 4), runs: 20 }
    expect(run(initialState({ min_success_rate: 0.9 }), [m]).kinds).toEqual(["-"])
  })

  it("a breach holds while there is too little data: no data is not a recovery", () => {
    const { kinds, state } = run(initialState({ min_success_rate: 0.9 }), [
      metrics(0, 10), // breach
      metrics(0, 0), // window emptied
      metrics(2, 2), // too few to judge
      metrics(1, 6) // still bad: same breach, no new alert
    ])
    expect(kinds).toEqual(["breach", "-", "-", "-"])
    expect(state.status).toBe("breached")
  })

  it("a breach whose reasons change is still one breach", () => {
    expect(run(initialState({ min_success_rate: 0.8, max_p95_ms: 1_000 }), [
      metrics(5, 10, 100), // success_rate
      metrics(10, 10, 5_000), // now p95 instead
      metrics(5, 10, 5_000) // both
    ]).kinds).toEqual(["breach", "-", "-"])
  })

  it("without thresholds nothing ever alerts", () => {
    expect(run(initialState({}), [metrics(0, 100, 1e9), metrics(0, 100, 1e9)]).kinds).toEqual(["-", "-"])
  })

  it("evaluateRuns looks only at runs started within the window", () => {
    const now = 1_800_000_000_000
    const mk = (id: string, status: RunStatus, agoS: number): RunRecord => ({
      runId: id,
      threadId: undefined,
      agent: "default",
      status,
      startedAt: now - agoS * 1000,
      endedAt: status === "running" ? undefined : now - agoS * 1000 + 100,
      tools: [],
      responseText: undefined,
      errorCode: status === "failed" ? "HANDLER_FAILED" : undefined
    })
    const oldFailures = Array.from({ length: 10 }, (_, i) => mk(`old${i}`, "failed", 301 + i))
    const recentSuccesses = Array.from({ length: 5 }, (_, i) => mk(`new${i}`, "completed", 10 + i))
    const state = initialState({ min_success_rate: 0.9 })
    expect(Option.isNone(evaluateRuns(state, [...oldFailures, ...recentSuccesses], now).alert)).toBe(true)
    const recentFailures = Array.from({ length: 5 }, (_, i) => mk(`bad${i}`, "failed", 20 + i))
    const result = evaluateRuns(state, [...oldFailures, ...recentSuccesses, ...recentFailures], now)
    expect(Option.map(result.alert, (a) => a.kind)).toEqual(Option.some("breach"))
    // a 19 s window holds only the five successes (10-14 s ago), not the failures (20-24 s ago)
    const short = initialState({ min_success_rate: 0.9 }, { windowS: 19 })
    expect(Option.isNone(evaluateRuns(short, [...recentSuccesses, ...recentFailures], now).alert)).toBe(true)
  })

  it("AlertThresholds decodes a subscription's thresholds and rejects nonsense", () => {
    const decode = Schema.decodeUnknownEither(AlertThresholds)
    expect(decode({ min_success_rate: 0.95, max_p95_ms: 2_000 })).toEqual(
      Either.right({ min_success_rate: 0.95, max_p95_ms: 2_000 })
    )
    expect(decode({})).toEqual(Either.right({}))
    expect(Either.isLeft(decode({ min_success_rate: 1.5 }))).toBe(true)
    expect(Either.isLeft(decode({ max_p95_ms: -1 }))).toBe(true)
  })

  it.prop(
    "alerts alternate breach, recovered, breach, …; state follows the last alert",
    {
      steps: fc.array(
        fc.record({
          finished: fc.integer({ min: 0, max: 20 }),
          share: fc.double({ min: 0, max: 1, noNaN: true }),
          p95: fc.integer({ min: 0, max: 3_000 })
        }),
        { maxLength: 50 }
      ),
      min: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
      max: fc.option(fc.integer({ min: 0, max: 3_000 }), { nil: undefined })
    },
    ({ max, min, steps }) => {
      const thresholds = { ...(min === undefined ? {} : { min_success_rate: min }), ...(max === undefined ? {} : { max_p95_ms: max }) }
      const { kinds, state } = run(
        initialState(thresholds),
        steps.map(({ finished, p95, share }) => metrics(Math.round(share * finished), finished, p95))
      )
      const alerts = kinds.filter((k) => k !== "-")
      alerts.forEach((kind, i) => expect(kind).toBe(i % 2 === 0 ? "breach" : "recovered"))
      expect(state.status).toBe(alerts.length % 2 === 1 ? "breached" : "ok")
    }
  )
})
