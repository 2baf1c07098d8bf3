import { Effect, Option } from "effect";
import * as Metrics from "../observability/Metrics.js";
import { evaluateRuns, initialState } from "./QualityAlert.js";
class AlertSubscription {
  state = void 0;
  emit = void 0;
  stopListening = void 0;
  /** Whether the user is subscribed. */
  get subscribed() {
    return this.state !== void 0;
  }
  /** `"ok"`, `"breached"`, or `undefined` when not subscribed (tests, diagnostics). */
  get status() {
    return this.state?.status;
  }
  /**
   * Subscribes (or re-subscribes with new thresholds, which starts from `"ok"`
   * again). `emit` is where alerts go: the subscribing frame's emitter, that is
   * the user's stream, so every alert gets the user's next `seq`.
   */
  subscribe(runs, thresholds, options, emit) {
    this.state = initialState(thresholds, { windowS: options.windowS, minFinished: options.minFinished });
    this.emit = emit;
    this.stopListening ??= runs.onRunEnded(() => this.check(runs.all));
  }
  /** Ends the subscription: no alert is pushed after this. */
  unsubscribe() {
    this.state = void 0;
    this.emit = void 0;
    this.stopListening?.();
    this.stopListening = void 0;
  }
  /** One evaluation over `runs` as of the current `Clock` time: pushes at most one alert. */
  check(runs) {
    return Effect.clockWith(
      (clock) => Effect.suspend(() => {
        const state = this.state;
        const emit = this.emit;
        if (state === void 0 || emit === void 0) return Effect.void;
        const evaluation = evaluateRuns(state, runs, clock.unsafeCurrentTimeMillis());
        this.state = evaluation.state;
        if (Option.isNone(evaluation.alert)) return Effect.void;
        const alert = evaluation.alert.value;
        return emit({ type: "quality_alert", payload: alert }).pipe(
          Effect.zipRight(Metrics.increment(Metrics.qualityAlerts, { kind: alert.kind })),
          Effect.zipRight(Effect.logInfo("quality alert", { kind: alert.kind }))
        );
      })
    );
  }
}
export {
  AlertSubscription
};
//# sourceMappingURL=AlertSubscription.js.map
