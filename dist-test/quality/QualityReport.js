import { Schema } from "effect";
import {
  countStatuses,
  countTools,
  finishedCount,
  percentile,
  runLatencyMs,
  runsSince,
  sortedLatencies,
  successRate
} from "./QualityMetrics.js";
const SLOWEST_LIMIT = 5;
const SlowRun = Schema.Struct({
  run_id: Schema.String,
  agent: Schema.String,
  thread_id: Schema.optional(Schema.String),
  latency_ms: Schema.Number,
  status: Schema.Literal("completed", "failed", "cancelled")
});
const QualityReport = Schema.Struct({
  since: Schema.String,
  until: Schema.String,
  totals: Schema.Struct({
    runs: Schema.Number,
    completed: Schema.Number,
    failed: Schema.Number,
    cancelled: Schema.Number,
    running: Schema.Number
  }),
  rates: Schema.Struct({
    success_rate: Schema.Number,
    failure_rate: Schema.Number,
    cancel_rate: Schema.Number
  }),
  latency_ms: Schema.Struct({ p50: Schema.Number, p95: Schema.Number, max: Schema.Number }),
  slowest: Schema.Array(SlowRun),
  tools: Schema.Record({ key: Schema.String, value: Schema.Number }),
  errors: Schema.Record({ key: Schema.String, value: Schema.Number })
});
const UNKNOWN_ERROR_CODE = "UNKNOWN";
const computeReport = (runs, sinceMs, nowMs) => {
  const selected = sinceMs === void 0 ? runs : runsSince(runs, sinceMs);
  const counts = countStatuses(selected);
  const finished = finishedCount(counts);
  const latencies = sortedLatencies(selected);
  const start = sinceMs ?? earliestStart(selected) ?? nowMs;
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
  };
};
const earliestStart = (runs) => {
  let earliest;
  for (const run of runs) {
    if (earliest === void 0 || run.startedAt < earliest) earliest = run.startedAt;
  }
  return earliest;
};
const slowestRuns = (runs, limit) => {
  const ended = [];
  for (const run of runs) {
    const latency = runLatencyMs(run);
    if (latency !== void 0 && run.status !== "running") ended.push({ run, latency, status: run.status });
  }
  ended.sort(
    (a, b) => b.latency - a.latency || a.run.startedAt - b.run.startedAt || (a.run.runId < b.run.runId ? -1 : a.run.runId > b.run.runId ? 1 : 0)
  );
  return ended.slice(0, Math.max(0, limit)).map(({ latency, run, status }) => ({
    run_id: run.runId,
    agent: run.agent,
    ...run.threadId === void 0 ? {} : { thread_id: run.threadId },
    latency_ms: latency,
    status
  }));
};
const countErrors = (runs) => {
  const counts = /* @__PURE__ */ new Map();
  for (const run of runs) {
    if (run.status !== "failed") continue;
    const code = run.errorCode ?? UNKNOWN_ERROR_CODE;
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  return Object.fromEntries(counts);
};
export {
  QualityReport,
  SLOWEST_LIMIT,
  SlowRun,
  UNKNOWN_ERROR_CODE,
  computeReport,
  countErrors,
  slowestRuns
};
//# sourceMappingURL=QualityReport.js.map
