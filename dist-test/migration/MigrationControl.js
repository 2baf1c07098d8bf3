import { Clock, Context, Effect, FiberSet, Layer, Option } from "effect";
import { SwitchyardConfig } from "../Config.js";
import * as Metrics from "../observability/Metrics.js";
import * as CircuitBreaker from "../router/CircuitBreaker.js";
import * as RollbackPolicy from "../router/RollbackPolicy.js";
import { RollingStats } from "../router/RollingStats.js";
import { isImplementationFailure } from "./Resilience.js";
import { nextServes } from "./Stage.js";
const defaultSettings = {
  defaultStage: "legacy_only",
  ssotEnabledTypes: void 0,
  canaryPercent: 10,
  fallbackEnabled: true,
  rollbackOnError: true,
  loggingEnabled: true,
  handlerTimeoutMs: 3e4,
  shadowWaitMs: 3e4,
  maxShadowInFlight: 256,
  maxMismatches: 20,
  breakerFailures: 5,
  breakerResetMs: 6e4,
  windowMs: 6e4,
  rollback: RollbackPolicy.defaultThresholds
};
const settingsFrom = (settings) => ({
  ...defaultSettings,
  defaultStage: settings.migrationStrategy,
  ssotEnabledTypes: settings.ssotEnabledMessageTypes,
  canaryPercent: settings.migrationCanaryPercent,
  fallbackEnabled: settings.legacyFallbackEnabled,
  rollbackOnError: settings.migrationRollbackOnError,
  loggingEnabled: settings.migrationLoggingEnabled,
  handlerTimeoutMs: settings.migrationHandlerTimeoutMs,
  shadowWaitMs: settings.migrationShadowWaitMs,
  breakerFailures: settings.migrationBreakerFailures,
  breakerResetMs: settings.migrationBreakerResetMs,
  windowMs: settings.migrationWindowMs,
  rollback: {
    ...RollbackPolicy.defaultThresholds,
    maxErrorRateDelta: settings.migrationRollbackErrorPoints / 100,
    maxLatencyRatio: settings.migrationRollbackLatencyRatio,
    minimumSamples: settings.migrationRollbackMinSamples
  }
});
class TypeState {
  constructor(type, initial, breakers, windowMs) {
    this.type = type;
    this.breakers = breakers;
    this.windowMs = windowMs;
    this.stage = initial.stage;
    this.canaryPercent = initial.canaryPercent;
    this.totals = { legacy: new RollingStats({ window: windowMs }), next: new RollingStats({ window: windowMs }) };
    this.window = this.freshWindow();
  }
  type;
  breakers;
  windowMs;
  stage;
  canaryPercent;
  fallbacks = 0;
  shadowCompared = 0;
  shadowMismatches = 0;
  shadowInFlight = 0;
  shadowSkipped = 0;
  mismatches = [];
  rollback = void 0;
  /** since the service started: what the admin API reports */
  totals;
  /** since the last stage change: what the rollback rule judges (a new stage starts with a clean slate) */
  window;
  /** New rolling windows for both sides. */
  freshWindow() {
    return { legacy: new RollingStats({ window: this.windowMs }), next: new RollingStats({ window: this.windowMs }) };
  }
}
class MigrationControl extends Context.Tag("switchyard/MigrationControl")() {
  /** From the service's settings, with `types` registered up front (so the admin API lists them). */
  static layer(types) {
    return Layer.scoped(MigrationControl, Effect.flatMap(SwitchyardConfig, (config) => make(settingsFrom(config), types)));
  }
  /** From explicit settings (tests, embedding). */
  static layerWith(settings = {}, types = []) {
    return Layer.scoped(MigrationControl, make({ ...defaultSettings, ...settings }, types));
  }
}
const round = (ms) => Math.round(ms * 1e3) / 1e3;
const sideStats = (stats) => {
  const s = stats.snapshot();
  return { count: s.count, errors: s.errors, p50_ms: round(s.p50_ms), p95_ms: round(s.p95_ms) };
};
const severity = { closed: 0, half_open: 1, open: 2 };
const servingBreaker = (stage, legacy, next) => {
  switch (stage) {
    case "legacy_only":
    case "shadow":
      return legacy;
    case "next_primary":
    case "next_only":
      return next;
    case "canary":
      return severity[legacy] >= severity[next] ? legacy : next;
  }
};
const initialStage = (settings, type) => {
  if (settings.defaultStage === "canary" && settings.ssotEnabledTypes !== void 0) {
    return settings.ssotEnabledTypes.includes(type) ? { stage: "canary", canaryPercent: 100 } : { stage: "legacy_only", canaryPercent: settings.canaryPercent };
  }
  return { stage: settings.defaultStage, canaryPercent: settings.canaryPercent };
};
const make = Effect.fnUntraced(function* (settings, types) {
  const background = yield* FiberSet.make();
  const states = /* @__PURE__ */ new Map();
  const breaker = (type, side) => CircuitBreaker.make({
    name: `${type}/${side}`,
    maxConsecutiveFailures: settings.breakerFailures,
    resetTimeout: settings.breakerResetMs,
    isFailure: isImplementationFailure,
    onStateChange: (_from, to) => Metrics.increment(Metrics.breakerTransitions, { breaker: `${type}/${side}`, to })
  });
  const register = (type) => Effect.gen(function* () {
    const existing = states.get(type);
    if (existing !== void 0) return existing;
    const breakers = { legacy: yield* breaker(type, "legacy"), next: yield* breaker(type, "next") };
    const raced = states.get(type);
    if (raced !== void 0) return raced;
    const state = new TypeState(type, initialStage(settings, type), breakers, settings.windowMs);
    states.set(type, state);
    return state;
  });
  for (const type of types) yield* register(type);
  const entryOf = (state) => Effect.gen(function* () {
    const legacy = yield* state.breakers.legacy.state;
    const next = yield* state.breakers.next.state;
    const entry = {
      stage: state.stage,
      canary_percent: state.canaryPercent,
      breaker: servingBreaker(state.stage, legacy, next),
      stats: {
        legacy: sideStats(state.totals.legacy),
        next: sideStats(state.totals.next),
        fallbacks: state.fallbacks,
        shadow_mismatches: state.shadowMismatches
      }
    };
    return state.rollback === void 0 ? entry : { ...entry, rollback: state.rollback };
  });
  const detailsOf = (state) => Effect.gen(function* () {
    const entry = yield* entryOf(state);
    return {
      ...entry,
      breakers: { legacy: yield* state.breakers.legacy.state, next: yield* state.breakers.next.state },
      shadow: {
        compared: state.shadowCompared,
        in_flight: state.shadowInFlight,
        skipped: state.shadowSkipped,
        recent_mismatches: state.mismatches.slice()
      }
    };
  });
  const changeStage = (state, stage) => {
    state.stage = stage;
    state.window = state.freshWindow();
  };
  const maybeRollBack = (state) => Effect.gen(function* () {
    if (!settings.rollbackOnError || !nextServes(state.stage)) return;
    const now = yield* Clock.currentTimeMillis;
    const decision = RollbackPolicy.decide(
      { legacy: state.window.legacy.window(now), next: state.window.next.window(now) },
      settings.rollback
    );
    if (Option.isNone(decision)) return;
    const from = state.stage;
    const reason = decision.value.reason;
    changeStage(state, "legacy_only");
    state.rollback = { at: new Date(now).toISOString(), reason };
    yield* Metrics.increment(Metrics.migrationRollbacks, { type: state.type });
    yield* Effect.logWarning(`migration of "${state.type}" rolled back from ${from} to legacy_only: ${reason}`).pipe(
      Effect.annotateLogs({ type: state.type, from, to: "legacy_only", reason })
    );
  });
  const service = {
    settings,
    state: register,
    has: (type) => states.has(type),
    entries: Effect.gen(function* () {
      const out = {};
      for (const [type, state] of states) out[type] = yield* entryOf(state);
      return out;
    }),
    entry: (type) => {
      const state = states.get(type);
      return state === void 0 ? Effect.succeedNone : Effect.asSome(entryOf(state));
    },
    details: (type) => {
      const state = states.get(type);
      return state === void 0 ? Effect.succeedNone : Effect.asSome(detailsOf(state));
    },
    setStage: (type, stage, canaryPercent) => Effect.suspend(() => {
      const state = states.get(type);
      if (state === void 0) return Effect.succeedNone;
      const from = state.stage;
      const fromPercent = state.canaryPercent;
      if (stage !== from) changeStage(state, stage);
      if (canaryPercent !== void 0) state.canaryPercent = canaryPercent;
      return Effect.logInfo(`migration of "${type}": ${from} -> ${stage}`).pipe(
        Effect.annotateLogs({ type, from, to: stage, canary_percent: state.canaryPercent, from_percent: fromPercent }),
        Effect.zipRight(Effect.asSome(entryOf(state)))
      );
    }),
    record: (state, side, latencyMs, ok) => Effect.flatMap(Clock.currentTimeMillis, (now) => {
      state.totals[side].record(latencyMs, ok, now);
      state.window[side].record(latencyMs, ok, now);
      return maybeRollBack(state);
    }),
    recordFallback: (state) => Effect.suspend(() => {
      state.fallbacks++;
      return Metrics.increment(Metrics.migrationFallbacks, { type: state.type });
    }),
    recordComparison: (state, mismatch) => Effect.flatMap(Clock.currentTimeMillis, (now) => {
      state.shadowCompared++;
      if (mismatch === void 0) return Effect.void;
      state.shadowMismatches++;
      state.mismatches.push({ at: new Date(now).toISOString(), ...mismatch });
      while (state.mismatches.length > settings.maxMismatches) state.mismatches.shift();
      return Metrics.increment(Metrics.shadowMismatches, { type: state.type });
    }),
    fork: (effect) => FiberSet.run(background, effect)
  };
  return service;
});
export {
  MigrationControl,
  TypeState,
  defaultSettings,
  make,
  settingsFrom
};
//# sourceMappingURL=MigrationControl.js.map
