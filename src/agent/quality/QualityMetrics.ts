import type { QualityMetrics } from "../../protocol/Quality.js"
import type { RunRecord } from "../RunRecord.js"

/** The result of `quality_metrics`: its schema is the protocol's. */
export { QualityMetrics } from "../../protocol/Quality.js"

/**
 * The quality of `runs` as of `nowMs` (PROTOCOL §4 `quality_metrics`).
 *
 * With `windowS`, only runs that started within the last `windowS` seconds
 * (`startedAt >= nowMs - windowS * 1000`) are counted; a negative window counts
 * as `0`. Without it, every run given is counted. Pure: `nowMs` comes from the
 * caller's `Clock`.
 */
export const computeMetrics = (
  runs: ReadonlyArray<RunRecord>,
  nowMs: number,
  windowS?: number
): QualityMetrics => {
  const inWindow = windowS === undefined ? runs : runsSince(runs, nowMs - Math.max(0, windowS) * 1000)
  const counts = countStatuses(inWindow)
  const latencies = sortedLatencies(inWindow)
  return {
    runs: inWindow.length,
    completed: counts.completed,
    failed: counts.failed,
    cancelled: counts.cancelled,
    success_rate: successRate(counts),
    latency_ms: { p50: percentile(latencies, 50), p95: percentile(latencies, 95) },
    tools: countTools(inWindow)
  }
}

/** The runs that started at or after `sinceMs` (in their original order). */
export const runsSince = (runs: ReadonlyArray<RunRecord>, sinceMs: number): ReadonlyArray<RunRecord> =>
  runs.filter((run) => run.startedAt >= sinceMs)

/** How many runs are in each status. */
export interface StatusCounts {
  readonly running: number
  readonly completed: number
  readonly failed: number
  readonly cancelled: number
}

/** Counts `runs` by status. */
export const countStatuses = (runs: ReadonlyArray<RunRecord>): StatusCounts => {
  let running = 0
  let completed = 0
  let failed = 0
  let cancelled = 0
  for (const run of runs) {
    switch (run.status) {
      case "running":
        running++
        break
      case "completed":
        completed++
        break
      case "failed":
        failed++
        break
      case "cancelled":
        cancelled++
        break
    }
  }
  return { running, completed, failed, cancelled }
}

/** Runs that have ended: completed, failed or cancelled. */
export const finishedCount = (counts: StatusCounts): number => counts.completed + counts.failed + counts.cancelled

/** `completed / finished`; `1` when no run has finished (see {@link QualityMetrics}). */
export const successRate = (counts: StatusCounts): number => {
  const finished = finishedCount(counts)
  return finished === 0 ? 1 : counts.completed / finished
}

/**
 * A run's latency: `endedAt - startedAt` in milliseconds (never negative), or
 * `undefined` while it is running or when it has no end time.
 */
export const runLatencyMs = (run: RunRecord): number | undefined =>
  run.status === "running" || run.endedAt === undefined ? undefined : Math.max(0, run.endedAt - run.startedAt)

/** The latencies of the ended runs among `runs`, ascending. */
export const sortedLatencies = (runs: ReadonlyArray<RunRecord>): ReadonlyArray<number> => {
  const latencies: Array<number> = []
  for (const run of runs) {
    const latency = runLatencyMs(run)
    if (latency !== undefined) latencies.push(latency)
  }
  return latencies.sort((a, b) => a - b)
}

/**
 * The nearest-rank `p`-th percentile (`0 < p <= 100`) of `sorted`
 * (ascending): the smallest value such that at least `p`% of the values are
 * `<=` it, i.e. `sorted[ceil(p/100 * n) - 1]`. `0` for an empty array.
 */
export const percentile = (sorted: ReadonlyArray<number>, p: number): number => {
  const n = sorted.length
  if (n === 0) return 0
  // p * n / 100 rather than p / 100 * n: exact for integer p, so 95 of 20 is rank 19, not 20.
  const rank = Math.min(n, Math.max(1, Math.ceil((p * n) / 100)))
  return sorted[rank - 1] ?? 0
}

/** How often each tool was called across `runs` (repeats included). */
export const countTools = (runs: ReadonlyArray<RunRecord>): Record<string, number> => {
  const counts = new Map<string, number>()
  for (const run of runs) {
    for (const tool of run.tools) counts.set(tool, (counts.get(tool) ?? 0) + 1)
  }
  // Object.fromEntries defines own properties, so a tool named "__proto__" is counted like any other.
  return Object.fromEntries(counts)
}
