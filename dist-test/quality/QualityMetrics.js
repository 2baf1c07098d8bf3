import { Schema } from "effect";
const QualityMetrics = Schema.Struct({
  runs: Schema.Number,
  completed: Schema.Number,
  failed: Schema.Number,
  cancelled: Schema.Number,
  success_rate: Schema.Number,
  latency_ms: Schema.Struct({ p50: Schema.Number, p95: Schema.Number }),
  tools: Schema.Record({ key: Schema.String, value: Schema.Number })
});
const computeMetrics = (runs, nowMs, windowS) => {
  const inWindow = windowS === void 0 ? runs : runsSince(runs, nowMs - Math.max(0, windowS) * 1e3);
  const counts = countStatuses(inWindow);
  const latencies = sortedLatencies(inWindow);
  return {
    runs: inWindow.length,
    completed: counts.completed,
    failed: counts.failed,
    cancelled: counts.cancelled,
    success_rate: successRate(counts),
    latency_ms: { p50: percentile(latencies, 50), p95: percentile(latencies, 95) },
    tools: countTools(inWindow)
  };
};
const runsSince = (runs, sinceMs) => runs.filter((run) => run.startedAt >= sinceMs);
const countStatuses = (runs) => {
  let running = 0;
  let completed = 0;
  let failed = 0;
  let cancelled = 0;
  for (const run of runs) {
    switch (run.status) {
      case "running":
        running++;
        break;
      case "completed":
        completed++;
        break;
      case "failed":
        failed++;
        break;
      case "cancelled":
        cancelled++;
        break;
    }
  }
  return { running, completed, failed, cancelled };
};
const finishedCount = (counts) => counts.completed + counts.failed + counts.cancelled;
const successRate = (counts) => {
  const finished = finishedCount(counts);
  return finished === 0 ? 1 : counts.completed / finished;
};
const runLatencyMs = (run) => run.status === "running" || run.endedAt === void 0 ? void 0 : Math.max(0, run.endedAt - run.startedAt);
const sortedLatencies = (runs) => {
  const latencies = [];
  for (const run of runs) {
    const latency = runLatencyMs(run);
    if (latency !== void 0) latencies.push(latency);
  }
  return latencies.sort((a, b) => a - b);
};
const percentile = (sorted, p) => {
  const n = sorted.length;
  if (n === 0) return 0;
  const rank = Math.min(n, Math.max(1, Math.ceil(p * n / 100)));
  return sorted[rank - 1] ?? 0;
};
const countTools = (runs) => {
  const counts = /* @__PURE__ */ new Map();
  for (const run of runs) {
    for (const tool of run.tools) counts.set(tool, (counts.get(tool) ?? 0) + 1);
  }
  return Object.fromEntries(counts);
};
export {
  QualityMetrics,
  computeMetrics,
  countStatuses,
  countTools,
  finishedCount,
  percentile,
  runLatencyMs,
  runsSince,
  sortedLatencies,
  successRate
};
//# sourceMappingURL=QualityMetrics.js.map
