import { MetricState } from "effect";
const emptyCounts = { ok: 0, duplicate: 0, error: 0 };
const tagOf = (pair, name) => {
  for (const tag of pair.metricKey.tags) if (tag.key === name) return tag.value;
  return void 0;
};
const counterValue = (state) => MetricState.isCounterState(state) ? Number(state.count) : 0;
const addHistograms = (a, b) => ({
  buckets: a.buckets.map(([bound, count], i) => [bound, count + (b.buckets[i]?.[1] ?? 0)]),
  count: a.count + b.count,
  sum: a.sum + b.sum
});
const subtractHistograms = (newer, older) => older === void 0 ? newer : {
  buckets: newer.buckets.map(([bound, count], i) => [bound, Math.max(0, count - (older.buckets[i]?.[1] ?? 0))]),
  count: Math.max(0, newer.count - older.count),
  sum: Math.max(0, newer.sum - older.sum)
};
const histogramQuantile = (histogram, q) => {
  if (histogram.count <= 0) return void 0;
  const rank = q * histogram.count;
  let lower = 0;
  let below = 0;
  for (const [bound, cumulative] of histogram.buckets) {
    if (cumulative >= rank && cumulative > below) {
      if (!Number.isFinite(bound)) return lower;
      return lower + (bound - lower) * ((rank - below) / (cumulative - below));
    }
    if (Number.isFinite(bound)) lower = bound;
    below = cumulative;
  }
  return lower;
};
const totalsOf = (pairs, at) => {
  const frames = /* @__PURE__ */ new Map();
  const latency = /* @__PURE__ */ new Map();
  let rejected = 0;
  let streamEvents = 0;
  let duplicates = 0;
  let slowConsumerCloses = 0;
  const runs = { completed: 0, failed: 0, cancelled: 0 };
  for (const pair of pairs) {
    const state = pair.metricState;
    switch (pair.metricKey.name) {
      case "switchyard_frames_total": {
        const type = tagOf(pair, "type") ?? "unknown";
        const outcome = tagOf(pair, "outcome");
        if (outcome !== "ok" && outcome !== "duplicate" && outcome !== "error") break;
        const counts = frames.get(type) ?? emptyCounts;
        frames.set(type, { ...counts, [outcome]: counts[outcome] + counterValue(state) });
        break;
      }
      case "switchyard_handler_seconds": {
        if (!MetricState.isHistogramState(state)) break;
        const type = tagOf(pair, "type") ?? "unknown";
        const histogram = { buckets: state.buckets, count: state.count, sum: state.sum };
        const previous = latency.get(type);
        latency.set(type, previous === void 0 ? histogram : addHistograms(previous, histogram));
        break;
      }
      case "switchyard_frames_rejected_total":
        rejected += counterValue(state);
        break;
      case "switchyard_stream_events_total":
        streamEvents += counterValue(state);
        break;
      case "switchyard_duplicates_suppressed_total":
        duplicates += counterValue(state);
        break;
      case "switchyard_slow_consumer_closes_total":
        slowConsumerCloses += counterValue(state);
        break;
      case "switchyard_agent_runs_total": {
        const status = tagOf(pair, "status");
        if (status === "completed" || status === "failed" || status === "cancelled") runs[status] += counterValue(state);
        break;
      }
    }
  }
  return { at, frames, latency, rejected, streamEvents, runs, duplicates, slowConsumerCloses };
};
const sumFrames = (frames, pick) => {
  let total = 0;
  for (const counts of frames.values()) total += pick(counts);
  return total;
};
const all = (c) => c.ok + c.duplicate + c.error;
const perSecond = (delta, ms) => ms <= 0 ? 0 : Math.max(0, delta) / (ms / 1e3);
const toMs = (seconds) => seconds === void 0 ? null : Math.round(seconds * 1e6) / 1e3;
const sampleOf = (current, previous, windowStart, gauges) => {
  const intervalMs = previous === void 0 ? 0 : current.at - previous.at;
  const windowMs = windowStart === void 0 ? 0 : current.at - windowStart.at;
  const frames = sumFrames(current.frames, all);
  const errors = sumFrames(current.frames, (c) => c.error);
  const types = [];
  for (const type of [...current.frames.keys()].sort()) {
    const now = current.frames.get(type) ?? emptyCounts;
    const then = windowStart?.frames.get(type) ?? emptyCounts;
    const count = all(now) - all(then);
    const failed = now.error - then.error;
    const histogram = current.latency.get(type);
    const inWindow = histogram === void 0 ? void 0 : subtractHistograms(histogram, windowStart?.latency.get(type));
    types.push({
      type,
      count,
      frames_per_s: perSecond(count, windowMs),
      error_rate: count <= 0 ? 0 : failed / count,
      p50_ms: inWindow === void 0 ? null : toMs(histogramQuantile(inWindow, 0.5)),
      p95_ms: inWindow === void 0 ? null : toMs(histogramQuantile(inWindow, 0.95))
    });
  }
  return {
    t: current.at,
    connections: gauges.connections,
    users_connected: gauges.usersConnected,
    users_active: gauges.usersActive,
    runs_running: gauges.runsRunning,
    frames_per_s: previous === void 0 ? 0 : perSecond(frames - sumFrames(previous.frames, all), intervalMs),
    errors_per_s: previous === void 0 ? 0 : perSecond(errors - sumFrames(previous.frames, (c) => c.error), intervalMs),
    stream_events_per_s: previous === void 0 ? 0 : perSecond(current.streamEvents - previous.streamEvents, intervalMs),
    totals: {
      frames,
      errors,
      rejected: current.rejected,
      stream_events: current.streamEvents,
      runs_completed: current.runs.completed,
      runs_failed: current.runs.failed,
      runs_cancelled: current.runs.cancelled,
      duplicates: current.duplicates,
      slow_consumer_closes: current.slowConsumerCloses
    },
    window_s: Math.round(windowMs / 1e3),
    types
  };
};
export {
  addHistograms,
  histogramQuantile,
  sampleOf,
  subtractHistograms,
  totalsOf
};
//# sourceMappingURL=DashboardStats.js.map
