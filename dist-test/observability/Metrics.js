import { Effect, Metric, MetricBoundaries, MetricLabel } from "effect";
const connectionsOpen = Metric.gauge("switchyard_connections_open", {
  description: "open WebSocket connections"
});
const usersConnected = Metric.gauge("switchyard_users_connected", {
  description: "users with at least one open connection"
});
const usersActive = Metric.gauge("switchyard_users_active", {
  description: "users with a live session"
});
const framesTotal = Metric.counter("switchyard_frames_total", {
  description: "client frames handled, by type and outcome",
  incremental: true
});
const framesRejected = Metric.counter("switchyard_frames_rejected_total", {
  description: "client frames rejected before routing, by error code",
  incremental: true
});
const handlerSeconds = Metric.histogram(
  "switchyard_handler_seconds",
  MetricBoundaries.exponential({ start: 1e-4, factor: 2, count: 16 }),
  "handler latency in seconds, by message type and implementation"
);
const clientErrors = Metric.counter("switchyard_client_errors_total", {
  description: "error reports sent by clients",
  incremental: true
});
const runsTotal = Metric.counter("switchyard_agent_runs_total", {
  description: "agent runs ended, by status",
  incremental: true
});
const runsRunning = Metric.gauge("switchyard_agent_runs_running", {
  description: "agent runs going right now"
});
const qualityAlerts = Metric.counter("switchyard_quality_alerts_total", {
  description: "quality_alert events pushed, by kind",
  incremental: true
});
const streamEvents = Metric.counter("switchyard_stream_events_total", {
  description: "events published to users' streams",
  incremental: true
});
const duplicatesSuppressed = Metric.counter("switchyard_duplicates_suppressed_total", {
  description: "frames answered as duplicates",
  incremental: true
});
const slowConsumerCloses = Metric.counter("switchyard_slow_consumer_closes_total", {
  description: "connections closed as slow consumers (1013)",
  incremental: true
});
const bump = (counter) => counter.unsafeUpdate(1, []);
const labelSets = /* @__PURE__ */ new Map();
const labels = (tags) => {
  let key = "";
  for (const name in tags) key += `${name}\0${tags[name]}\0`;
  let set = labelSets.get(key);
  if (set === void 0) {
    set = Object.entries(tags).map(([name, value]) => MetricLabel.make(name, value));
    labelSets.set(key, set);
  }
  return set;
};
const count = (counter, tags) => counter.unsafeUpdate(1, labels(tags));
const increment = (counter, tags) => Effect.sync(() => count(counter, tags));
const observeHandler = (type, implementation, seconds) => handlerSeconds.unsafeUpdate(seconds, labels({ type, implementation }));
const frameMetricsByType = /* @__PURE__ */ new Map();
const frameMetrics = (type) => {
  let metrics = frameMetricsByType.get(type);
  if (metrics === void 0) {
    const latency = labels({ type, implementation: "builtin" });
    const outcomes = {
      ok: labels({ type, outcome: "ok" }),
      duplicate: labels({ type, outcome: "duplicate" }),
      error: labels({ type, outcome: "error" })
    };
    metrics = {
      observe: (seconds) => handlerSeconds.unsafeUpdate(seconds, latency),
      handled: (outcome) => framesTotal.unsafeUpdate(1, outcomes[outcome])
    };
    frameMetricsByType.set(type, metrics);
  }
  return metrics;
};
const migrationCalls = Metric.counter("switchyard_migration_calls_total", {
  description: "calls of a migrating type's implementations, by type, side, role and outcome",
  incremental: true
});
const migrationFallbacks = Metric.counter("switchyard_migration_fallbacks_total", {
  description: "fallbacks from next to legacy, by type",
  incremental: true
});
const shadowMismatches = Metric.counter("switchyard_migration_shadow_mismatches_total", {
  description: "shadow comparisons that found a difference, by type",
  incremental: true
});
const migrationRollbacks = Metric.counter("switchyard_migration_rollbacks_total", {
  description: "automatic rollbacks of a migrating type to legacy_only, by type",
  incremental: true
});
const breakerTransitions = Metric.counter("switchyard_circuit_breaker_transitions_total", {
  description: "circuit breaker state changes, by breaker and new state",
  incremental: true
});
const zeroSeries = [
  clientErrors,
  streamEvents,
  duplicatesSuppressed,
  slowConsumerCloses,
  ...["completed", "failed", "cancelled"].map((status) => Metric.tagged(runsTotal, "status", status)),
  ...["breach", "recovered"].map((kind) => Metric.tagged(qualityAlerts, "kind", kind))
];
const registerZeroes = () => {
  for (const counter of zeroSeries) counter.unsafeUpdate(0, []);
};
export {
  breakerTransitions,
  bump,
  clientErrors,
  connectionsOpen,
  count,
  duplicatesSuppressed,
  frameMetrics,
  framesRejected,
  framesTotal,
  handlerSeconds,
  increment,
  labels,
  migrationCalls,
  migrationFallbacks,
  migrationRollbacks,
  observeHandler,
  qualityAlerts,
  registerZeroes,
  runsRunning,
  runsTotal,
  shadowMismatches,
  slowConsumerCloses,
  streamEvents,
  usersActive,
  usersConnected
};
//# sourceMappingURL=Metrics.js.map
