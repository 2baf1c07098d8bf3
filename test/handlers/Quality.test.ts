import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Layer, Stream, TestClock } from "effect"
import { Agent, AgentError, type AgentEvent } from "../../src/agent/Agent.js"
import type { Overrides } from "../../src/Config.js"
import { BuiltinHandlers } from "../../src/handlers/index.js"
import type { Outcome } from "../../src/pipeline/Dispatcher.js"
import { type Harness, makeHarness } from "../support/FrameHarness.js"

/**
 * A test agent driven by its request: `params.ms` of (Test)Clock time per run,
 * `params.tool` names a tool call, the text "fail" fails the run with `MODEL_DOWN`.
 */
const TimedAgent = Layer.succeed(Agent, {
  defaultName: "timed",
  run: (request) => {
    const ms = typeof request.params["ms"] === "number" ? request.params["ms"] : 0
    const tool = typeof request.params["tool"] === "string" ? request.params["tool"] : undefined
    const toolEvents: Array<AgentEvent> = tool === undefined ? [] : [
      { _tag: "ToolExecuting", toolCallId: `${request.runId}-t`, tool, input: {} },
      { _tag: "ToolCompleted", toolCallId: `${request.runId}-t`, tool, output: {}, ok: true }
    ]
    const end: Stream.Stream<AgentEvent, AgentError> = request.text === "fail"
      ? Stream.fail(new AgentError({ code: "MODEL_DOWN", message: "no model" }))
      : Stream.make<Array<AgentEvent>>({ _tag: "MessageDelta", text: request.text })
    return Stream.make<Array<AgentEvent>>({ _tag: "Thinking", text: "hm" }, ...toolEvents).pipe(
      Stream.concat(Stream.fromEffect(Effect.sleep(ms)).pipe(Stream.drain)),
      Stream.concat(end)
    )
  }
})

const harness = (settings: Overrides = {}) => makeHarness(BuiltinHandlers, TimedAgent, "u1", settings)

/** Starts runs and waits (in fiber time, not wall time) until all of them ended. */
const runAll = (h: Harness, runs: ReadonlyArray<{ readonly text: string; readonly ms?: number; readonly tool?: string }>) =>
  Effect.gen(function*() {
    const ended = yield* Deferred.make<void>()
    let left = runs.length
    const stop = h.runs.onRunEnded(() =>
      Effect.sync(() => {
        if (--left === 0) Deferred.unsafeDone(ended, Effect.void)
      })
    )
    for (const run of runs) {
      const params = { ...(run.ms === undefined ? {} : { ms: run.ms }), ...(run.tool === undefined ? {} : { tool: run.tool }) }
      const outcome = yield* h.execute({ type: "start_agent", payload: { text: run.text, params } })
      expect(outcome.status).toBe("ok")
    }
    // the runs sleep on the TestClock: move it past the longest
    yield* TestClock.adjust(Math.max(0, ...runs.map((run) => run.ms ?? 0)) + 1)
    yield* Deferred.await(ended)
    stop()
  })

const resultOf = (outcome: Outcome): Record<string, unknown> => {
  if (outcome.status === "error") throw new Error(`expected ok, got ${outcome.error.code}: ${outcome.error.message}`)
  return outcome.result as Record<string, unknown>
}

const alerts = (h: Harness) => h.events.filter((event) => event.type === "quality_alert")

describe("quality_metrics", () => {
  it.scoped("counts the runs this service executed: statuses, success rate, latency, tools", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      yield* runAll(h, [
        { text: "a", ms: 100, tool: "calculator" },
        { text: "b", ms: 200, tool: "calculator" },
        { text: "c", ms: 300, tool: "clock" },
        { text: "fail", ms: 400 }
      ])
      const result = resultOf(yield* h.execute({ type: "quality_metrics", id: "q" }))
      expect(result).toEqual({
        runs: 4,
        completed: 3,
        failed: 1,
        cancelled: 0,
        success_rate: 0.75,
        latency_ms: { p50: 200, p95: 400 },
        tools: { calculator: 2, clock: 1 }
      })
    }))

  it.scoped("window_s counts only the runs that started within the window", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      yield* runAll(h, [{ text: "fail" }, { text: "fail" }])
      yield* TestClock.adjust("10 minutes")
      yield* runAll(h, [{ text: "ok", ms: 50 }])
      expect(resultOf(yield* h.execute({ type: "quality_metrics", payload: { window_s: 60 } }))).toMatchObject({
        runs: 1,
        completed: 1,
        failed: 0,
        success_rate: 1,
        latency_ms: { p50: 50, p95: 50 }
      })
      expect(resultOf(yield* h.execute({ type: "quality_metrics" }))).toMatchObject({ runs: 3, failed: 2 })
    }))

  it.scoped("with no run yet: zero counts, success rate 1, latencies 0", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      expect(resultOf(yield* h.execute({ type: "quality_metrics" }))).toEqual({
        runs: 0,
        completed: 0,
        failed: 0,
        cancelled: 0,
        success_rate: 1,
        latency_ms: { p50: 0, p95: 0 },
        tools: {}
      })
    }))

  it.scoped("a window_s that is not a positive number is INVALID_MESSAGE naming it", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      for (const window_s of [0, -5, "60", null]) {
        expect(yield* h.execute({ type: "quality_metrics", id: "w", payload: { window_s } })).toMatchObject({
          status: "error",
          error: { code: "INVALID_MESSAGE", details: { path: ["payload", "window_s"] } }
        })
      }
    }))
})

describe("quality_validation", () => {
  const settings = { qualityBannedPhrases: ["as an AI language model", "guaranteed returns"], qualityMaxLength: 40 }

  it.scoped("a clean answer is valid", () =>
    Effect.gen(function*() {
      const h = yield* harness(settings)
      expect(resultOf(yield* h.execute({ type: "quality_validation", payload: { content: "17 * 23 = 391" } }))).toEqual({
        valid: true,
        issues: []
      })
    }))

  it.scoped("each rule names its issue; length limit and banned phrases come from the settings", () =>
    Effect.gen(function*() {
      const h = yield* harness(settings)
      const check = (content: string) =>
        Effect.map(h.execute({ type: "quality_validation", payload: { content } }), (outcome) =>
          (resultOf(outcome)["issues"] as Array<{ rule: string }>).map((issue) => issue.rule))
      expect(yield* check("")).toEqual(["empty"])
      expect(yield* check("   \n\t")).toEqual(["empty"])
      expect(yield* check("x".repeat(41))).toEqual(["max_length"])
      expect(yield* check("```js\nconst a = 1")).toEqual(["unbalanced_code_fence"])
      expect(yield* check("key: sk-abcdefghijklmnopqrstuvwx")).toEqual(["leaked_credential"])
      expect(yield* check("-----BEGIN RSA PRIVATE KEY-----")).toEqual(["leaked_credential"])
      expect(yield* check("As an  AI language\nmodel, I")).toEqual(["banned_phrase"])
      const issues = resultOf(yield* h.execute({ type: "quality_validation", payload: { content: "guaranteed returns" } }))
      expect(issues).toEqual({
        valid: false,
        issues: [{ rule: "banned_phrase", message: "contains the banned phrase \"guaranteed returns\"" }]
      })
    }))

  it.scoped("rules selects the checks to run", () =>
    Effect.gen(function*() {
      const h = yield* harness(settings)
      const content = "```\n" + "x".repeat(50)
      expect(resultOf(yield* h.execute({ type: "quality_validation", payload: { content, rules: ["empty"] } }))).toEqual({
        valid: true,
        issues: []
      })
      const both = resultOf(
        yield* h.execute({ type: "quality_validation", payload: { content, rules: ["unbalanced_code_fence", "max_length"] } })
      )
      expect((both["issues"] as Array<{ rule: string }>).map((issue) => issue.rule)).toEqual([
        "max_length",
        "unbalanced_code_fence"
      ])
    }))

  it.scoped("an unknown rule or a missing content is INVALID_MESSAGE naming the field", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      expect(yield* h.execute({ type: "quality_validation", payload: { content: "x", rules: ["empty", "typos"] } }))
        .toMatchObject({ status: "error", error: { code: "INVALID_MESSAGE", details: { path: ["payload", "rules", 1] } } })
      expect(yield* h.execute({ type: "quality_validation", payload: {} })).toMatchObject({
        status: "error",
        error: { code: "INVALID_MESSAGE", details: { path: ["payload", "content"] } }
      })
    }))
})

describe("quality_report", () => {
  it.scoped("reports the runs since a time: totals, rates, slowest first, tools, errors", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      yield* runAll(h, [{ text: "old", ms: 999 }])
      yield* TestClock.adjust("1 hour")
      const since = new Date(yield* TestClock.currentTimeMillis).toISOString()
      yield* runAll(h, [
        { text: "a", ms: 10, tool: "calculator" },
        { text: "b", ms: 30 },
        { text: "fail", ms: 20 }
      ])
      const report = resultOf(yield* h.execute({ type: "quality_report", id: "r", payload: { since } }))
      expect(report).toMatchObject({
        since,
        totals: { runs: 3, completed: 2, failed: 1, cancelled: 0, running: 0 },
        rates: { success_rate: 2 / 3, failure_rate: 1 / 3, cancel_rate: 0 },
        latency_ms: { p50: 20, p95: 30, max: 30 },
        tools: { calculator: 1 },
        errors: { MODEL_DOWN: 1 }
      })
      expect((report["slowest"] as Array<{ latency_ms: number; status: string }>).map((run) => [run.latency_ms, run.status]))
        .toEqual([[30, "completed"], [20, "failed"], [10, "completed"]])
      // without since: every run held
      expect(resultOf(yield* h.execute({ type: "quality_report" }))).toMatchObject({ totals: { runs: 4 } })
    }))

  it.scoped("since accepts ISO-8601 with an offset or a bare date", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      for (const since of ["1970-01-01", "1970-01-01T02:00:00+02:00", "1970-01-01T00:00Z"]) {
        expect(resultOf(yield* h.execute({ type: "quality_report", payload: { since } }))).toMatchObject({
          since: "1970-01-01T00:00:00.000Z"
        })
      }
    }))

  it.scoped("a since that is not ISO-8601 is INVALID_MESSAGE naming payload.since", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      for (const since of ["yesterday", "2026-13-01", "2026-02-30T00:00:00Z", "1700000000", 1700000000]) {
        expect(yield* h.execute({ type: "quality_report", id: "bad", payload: { since } })).toMatchObject({
          status: "error",
          error: { code: "INVALID_MESSAGE", details: { path: ["payload", "since"] } }
        })
      }
    }))
})

describe("quality_alert", () => {
  const settings = { qualityAlertMinRuns: 3, qualityAlertWindowS: 300 }

  it.scoped("subscribes and unsubscribes; bad thresholds are INVALID_MESSAGE", () =>
    Effect.gen(function*() {
      const h = yield* harness(settings)
      expect(resultOf(yield* h.execute({ type: "quality_alert", payload: { subscribe: true, min_success_rate: 0.9 } })))
        .toEqual({ subscribed: true })
      expect(h.alerts.subscribed).toBe(true)
      expect(resultOf(yield* h.execute({ type: "quality_alert", payload: { subscribe: false } }))).toEqual({
        subscribed: false
      })
      expect(h.alerts.subscribed).toBe(false)
      expect(yield* h.execute({ type: "quality_alert", payload: { subscribe: true, min_success_rate: 1.5 } }))
        .toMatchObject({ status: "error", error: { code: "INVALID_MESSAGE", details: { path: ["payload", "min_success_rate"] } } })
      expect(yield* h.execute({ type: "quality_alert", payload: {} })).toMatchObject({
        status: "error",
        error: { code: "INVALID_MESSAGE", details: { path: ["payload", "subscribe"] } }
      })
    }))

  it.scoped("a breach pushes ONE quality_alert, not one per run, until it recovers", () =>
    Effect.gen(function*() {
      const h = yield* harness(settings)
      yield* h.execute({ type: "quality_alert", payload: { subscribe: true, min_success_rate: 0.5 } })
      // two failures: under the 3 finished runs needed, no verdict yet
      yield* runAll(h, [{ text: "fail" }, { text: "fail" }])
      expect(alerts(h)).toEqual([])
      // the third failure is the breach
      yield* runAll(h, [{ text: "fail" }])
      expect(alerts(h)).toHaveLength(1)
      expect(alerts(h)[0]!.payload).toMatchObject({
        kind: "breach",
        reasons: [expect.stringContaining("success_rate 0 is below min_success_rate 0.5")],
        metrics: { failed: 3, success_rate: 0 },
        thresholds: { min_success_rate: 0.5 }
      })
      // still breached: more failures and a success alert nobody
      yield* runAll(h, [{ text: "fail" }, { text: "fail" }, { text: "ok" }])
      expect(alerts(h)).toHaveLength(1)
      expect(h.alerts.status).toBe("breached")
      // recovery needs success_rate >= 0.55: 5 failed, 7 completed (7/12 = 0.58)
      yield* runAll(h, Array.from({ length: 6 }, () => ({ text: "ok" })))
      expect(alerts(h).map((alert) => (alert.payload as { kind: string }).kind)).toEqual(["breach", "recovered"])
      // and the stream event comes after the agent_completed of the run that decided it
      const index = h.events.indexOf(alerts(h)[1]!)
      expect(h.events[index - 1]!.type).toBe("agent_completed")
    }))

  it.scoped("p95 latency over max_p95_ms breaches, in TestClock time", () =>
    Effect.gen(function*() {
      const h = yield* harness(settings)
      yield* h.execute({ type: "quality_alert", payload: { subscribe: true, max_p95_ms: 250 } })
      yield* runAll(h, [{ text: "a", ms: 100 }, { text: "b", ms: 100 }, { text: "c", ms: 100 }])
      expect(alerts(h)).toEqual([])
      yield* runAll(h, [{ text: "slow", ms: 1000 }])
      expect(alerts(h)).toHaveLength(1)
      expect(alerts(h)[0]!.payload).toMatchObject({
        kind: "breach",
        reasons: [expect.stringContaining("p95 latency 1000 ms is above max_p95_ms 250")]
      })
    }))

  it.scoped("the window rolls: old failures fall out of it and the breach recovers", () =>
    Effect.gen(function*() {
      const h = yield* harness(settings)
      yield* h.execute({ type: "quality_alert", payload: { subscribe: true, min_success_rate: 0.9 } })
      yield* runAll(h, [{ text: "fail" }, { text: "fail" }, { text: "fail" }])
      expect(alerts(h)).toHaveLength(1)
      yield* TestClock.adjust("301 seconds")
      yield* runAll(h, [{ text: "ok" }, { text: "ok" }, { text: "ok" }])
      expect(alerts(h).map((alert) => (alert.payload as { kind: string }).kind)).toEqual(["breach", "recovered"])
    }))

  it.scoped("after unsubscribing nothing is pushed; re-subscribing starts from ok", () =>
    Effect.gen(function*() {
      const h = yield* harness(settings)
      yield* h.execute({ type: "quality_alert", payload: { subscribe: true, min_success_rate: 0.9 } })
      yield* h.execute({ type: "quality_alert", payload: { subscribe: false } })
      yield* runAll(h, [{ text: "fail" }, { text: "fail" }, { text: "fail" }])
      expect(alerts(h)).toEqual([])
      yield* h.execute({ type: "quality_alert", payload: { subscribe: true, min_success_rate: 0.9 } })
      yield* runAll(h, [{ text: "fail" }])
      expect(alerts(h)).toHaveLength(1)
      yield* h.execute({ type: "quality_alert", payload: { subscribe: true, min_success_rate: 0.8 } })
      yield* runAll(h, [{ text: "fail" }])
      expect(alerts(h)).toHaveLength(2)
    }))
})
