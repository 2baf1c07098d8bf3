import { Option } from "effect";
const defaultThresholds = {
  maxErrorRateDelta: 0.05,
  maxLatencyRatio: 1.5,
  minimumSamples: 20,
  minLatencyDeltaMs: 1
};
const EPSILON = 1e-9;
const pct = (rate) => `${(rate * 100).toFixed(1)}%`;
const points = (delta) => `${Number((delta * 100).toFixed(2))}`;
const ms = (value) => `${value.toFixed(1)} ms`;
const decide = (stats, thresholds = {}) => {
  const t = { ...defaultThresholds, ...thresholds };
  const { legacy, next } = stats;
  if (next.count < t.minimumSamples) return Option.none();
  const legacyEmpty = legacy.count === 0;
  if (!legacyEmpty && legacy.count < t.minimumSamples) return Option.none();
  const reasons = [];
  const legacyRate = legacyEmpty ? 0 : legacy.errorRate;
  if (next.errorRate - legacyRate > t.maxErrorRateDelta + EPSILON) {
    reasons.push(
      legacyEmpty ? `next error rate ${pct(next.errorRate)} exceeds ${points(t.maxErrorRateDelta)}% with no legacy samples` : `next error rate ${pct(next.errorRate)} exceeds legacy ${pct(legacy.errorRate)} by more than ${points(t.maxErrorRateDelta)} points`
    );
  }
  if (!legacyEmpty && next.p95_ms > t.maxLatencyRatio * legacy.p95_ms + EPSILON && next.p95_ms - legacy.p95_ms >= t.minLatencyDeltaMs) {
    reasons.push(
      `next p95 latency ${ms(next.p95_ms)} exceeds ${t.maxLatencyRatio}\xD7 legacy p95 ${ms(legacy.p95_ms)}`
    );
  }
  return reasons.length === 0 ? Option.none() : Option.some({ reason: reasons.join("; ") });
};
export {
  decide,
  defaultThresholds
};
//# sourceMappingURL=RollbackPolicy.js.map
