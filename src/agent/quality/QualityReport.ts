import type { QualityReport, SlowRun } from "../../protocol/Quality.js"
import type { RunRecord } from "../RunRecord.js"
import {
  countStatuses,
  countTools,
  finishedCount,
  percentile,
  runLatencyMs,
  runsSince,
  sortedLatencies,
  successRate
} from "./QualityMetrics.js"

/** How many runs a report lists in `slowest`. */
export const SLOWEST_LIMIT = 5

/** The result of `quality_report` and its entries: their schemas are the protocol's. */
export { QualityReport, SlowRun } from "../../protocol/Quality.js"

/** The `errors` key of a failed run that carries no error code. */
export const UNKNOWN_ERROR_CODE = "UNKNOWN"

/**
 * A report of the `runs` that started at or after `sinceMs` (all of them when
 * `sinceMs` is `undefined`), as of `nowMs` (PROTOCOL §4 `quality_report`).
 * Pure: `nowMs` comes from the caller's `Clock`.
 */
export const computeReport = (
  runs: ReadonlyArray<RunRecord>,
  sinceMs: number | undefined,
  nowMs: number
): QualityReport => {
  const selected = sinceMs === undefined ? runs : runsSince(runs, sinceMs)
  const counts = countStatuses(selected)
  const finished = finishedCount(counts)
  const latencies = sortedLatencies(selected)
  const start = sinceMs ?? earliestStart(selected) ?? nowMs
  return {
    since: new Date(start).toISOString(),
    until: new Date(nowMs).toISOString(),
    totals: {
      runs: selected.length,
      completed: counts.completed,
      failed: counts.failed,
      cancelled: counts.cancelled,
      running: counts.running
    },
    rates: {
      success_rate: successRate(counts),
      failure_rate: finished === 0 ? 0 : counts.failed / finished,
      cancel_rate: finished === 0 ? 0 : counts.cancelled / finished
    },
    latency_ms: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      max: latencies[latencies.length - 1] ?? 0
    },
    slowest: slowestRuns(selected, SLOWEST_LIMIT),
    tools: countTools(selected),
    errors: countErrors(selected)
  }
}

const earliestStart = (runs: ReadonlyArray<RunRecord>): number | undefined => {
  let earliest: number | undefined
  for (const run of runs) {
    if (earliest === undefined || run.startedAt < earliest) earliest = run.startedAt
  }
  return earliest
}

/** The `limit` slowest ended runs, slowest first; ties go to the earlier start, then the run id. */
export const slowestRuns = (runs: ReadonlyArray<RunRecord>, limit: number): ReadonlyArray<SlowRun> => {
  const ended: Array<{ readonly run: RunRecord; readonly latency: number; readonly status: SlowRun["status"] }> = []
  for (const run of runs) {
    const latency = runLatencyMs(run)
    if (latency !== undefined && run.status !== "running") ended.push({ run, latency, status: run.status })
  }
  ended.sort((a, b) =>
    b.latency - a.latency ||
    a.run.startedAt - b.run.startedAt ||
    (a.run.runId < b.run.runId ? -1 : a.run.runId > b.run.runId ? 1 : 0)
  )
  return ended.slice(0, Math.max(0, limit)).map(({ latency, run, status }): SlowRun => ({
    run_id: run.runId,
    agent: run.agent,
    ...(run.threadId === undefined ? {} : { thread_id: run.threadId }),
    latency_ms: latency,
    status
  }))
}

/** Failed runs by error code; a failure without a code counts as {@link UNKNOWN_ERROR_CODE}. */
export const countErrors = (runs: ReadonlyArray<RunRecord>): Record<string, number> => {
  const counts = new Map<string, number>()
  for (const run of runs) {
    if (run.status !== "failed") continue
    const code = run.errorCode ?? UNKNOWN_ERROR_CODE
    counts.set(code, (counts.get(code) ?? 0) + 1)
  }
  return Object.fromEntries(counts)
}
