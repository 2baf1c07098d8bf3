import { Option, Schema } from "effect";
import { computeMetrics, QualityMetrics } from "./QualityMetrics.js";
const AlertThresholds = Schema.Struct({
  min_success_rate: Schema.optional(Schema.Number.pipe(
    Schema.between(0, 1),
    Schema.annotations({ description: "a number between 0 and 1" })
  )),
  max_p95_ms: Schema.optional(Schema.Number.pipe(
    Schema.nonNegative(),
    Schema.annotations({ description: "a number >= 0" })
  ))
});
const DEFAULT_WINDOW_S = 300;
const DEFAULT_MIN_FINISHED = 5;
const DEFAULT_SUCCESS_RATE_MARGIN = 0.05;
const DEFAULT_P95_MARGIN = 0.1;
const initialState = (thresholds, options = {}) => ({
  config: {
    thresholds,
    windowS: options.windowS ?? DEFAULT_WINDOW_S,
    minFinished: options.minFinished ?? DEFAULT_MIN_FINISHED,
    successRateMargin: options.successRateMargin ?? DEFAULT_SUCCESS_RATE_MARGIN,
    p95Margin: options.p95Margin ?? DEFAULT_P95_MARGIN
  },
  status: "ok"
});
const BreachAlert = Schema.Struct({
  kind: Schema.Literal("breach"),
  /** one human-readable line per threshold crossed */
  reasons: Schema.Array(Schema.String),
  metrics: QualityMetrics,
  thresholds: AlertThresholds
});
const RecoveredAlert = Schema.Struct({
  kind: Schema.Literal("recovered"),
  metrics: QualityMetrics,
  thresholds: AlertThresholds
});
const QualityAlert = Schema.Union(BreachAlert, RecoveredAlert);
const breachReasons = (thresholds, metrics) => {
  const reasons = [];
  const { max_p95_ms, min_success_rate } = thresholds;
  if (min_success_rate !== void 0 && metrics.success_rate < min_success_rate) {
    reasons.push(`success_rate ${round(metrics.success_rate)} is below min_success_rate ${min_success_rate}`);
  }
  if (max_p95_ms !== void 0 && metrics.latency_ms.p95 > max_p95_ms) {
    reasons.push(`p95 latency ${metrics.latency_ms.p95} ms is above max_p95_ms ${max_p95_ms}`);
  }
  return reasons;
};
const isRecovered = (config, metrics) => {
  const { max_p95_ms, min_success_rate } = config.thresholds;
  const rateOk = min_success_rate === void 0 || metrics.success_rate >= Math.min(1, min_success_rate + config.successRateMargin) - EPSILON;
  const p95Ok = max_p95_ms === void 0 || metrics.latency_ms.p95 <= max_p95_ms * (1 - config.p95Margin) + EPSILON;
  return rateOk && p95Ok;
};
const evaluate = (state, metrics) => {
  const { config } = state;
  const finished = metrics.completed + metrics.failed + metrics.cancelled;
  if (finished < config.minFinished) return { state, alert: Option.none() };
  if (state.status === "ok") {
    const reasons = breachReasons(config.thresholds, metrics);
    return reasons.length === 0 ? { state, alert: Option.none() } : {
      state: { config, status: "breached" },
      alert: Option.some({ kind: "breach", reasons, metrics, thresholds: config.thresholds })
    };
  }
  return isRecovered(config, metrics) ? {
    state: { config, status: "ok" },
    alert: Option.some({ kind: "recovered", metrics, thresholds: config.thresholds })
  } : { state, alert: Option.none() };
};
const evaluateRuns = (state, runs, nowMs) => evaluate(state, computeMetrics(runs, nowMs, state.config.windowS));
const EPSILON = 1e-9;
const round = (value) => Math.round(value * 1e3) / 1e3;
export {
  AlertThresholds,
  BreachAlert,
  DEFAULT_MIN_FINISHED,
  DEFAULT_P95_MARGIN,
  DEFAULT_SUCCESS_RATE_MARGIN,
  DEFAULT_WINDOW_S,
  QualityAlert,
  RecoveredAlert,
  breachReasons,
  evaluate,
  evaluateRuns,
  initialState,
  isRecovered
};
//# sourceMappingURL=QualityAlert.js.map
