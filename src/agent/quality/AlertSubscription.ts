import { Context, Effect, Option } from "effect"
import type { RunRecord } from "../RunRecord.js"
import type { RunRegistry } from "../Runs.js"
import * as Metrics from "../../observability/Metrics.js"
import type { StreamEvent } from "../../protocol/StreamEvents.js"
import type { AlertThresholds } from "../../protocol/Quality.js"
import { type AlertState, evaluateRuns, initialState } from "./QualityAlert.js"

/** The knobs of a subscription that come from the service's settings, not from the client. */
export interface SubscriptionOptions {
  /** the rolling window of runs, seconds */
  readonly windowS: number
  /** finished runs needed in the window before a breach is declared */
  readonly minFinished: number
}

/**
 * A user's `quality_alert` subscription (PROTOCOL §4, §6), held in the user's
 * session. While subscribed it is evaluated each time one of the user's runs
 * ends (a hook on the `RunRegistry`, not a poll), and the hysteresis of
 * `QualityAlert.evaluate` decides: a breach pushes ONE `quality_alert`
 * `{kind: "breach", …}` event on the user's stream, its recovery one
 * `{kind: "recovered", …}`, and nothing in between.
 */
export class QualityAlertSubscription {
  private state: AlertState | undefined = undefined
  private emit: ((event: StreamEvent) => Effect.Effect<void>) | undefined = undefined
  private stopListening: (() => void) | undefined = undefined

  /** Whether the user is subscribed. */
  get subscribed(): boolean {
    return this.state !== undefined
  }

  /** `"ok"`, `"breached"`, or `undefined` when not subscribed (tests, diagnostics). */
  get status(): AlertState["status"] | undefined {
    return this.state?.status
  }

  /**
   * Subscribes (or re-subscribes with new thresholds, which starts from `"ok"`
   * again). `emit` is where alerts go: the subscribing frame's emitter, that is
   * the user's stream, so every alert gets the user's next `seq`.
   */
  subscribe(
    runs: RunRegistry,
    thresholds: AlertThresholds,
    options: SubscriptionOptions,
    emit: (event: StreamEvent) => Effect.Effect<void>
  ): void {
    this.state = initialState(thresholds, { windowS: options.windowS, minFinished: options.minFinished })
    this.emit = emit
    this.stopListening ??= runs.onRunEnded(() => this.check(runs.all))
  }

  /** Ends the subscription: no alert is pushed after this. */
  unsubscribe(): void {
    this.state = undefined
    this.emit = undefined
    this.stopListening?.()
    this.stopListening = undefined
  }

  /** One evaluation over `runs` as of the current `Clock` time: pushes at most one alert. */
  check(runs: ReadonlyArray<RunRecord>): Effect.Effect<void> {
    return Effect.clockWith((clock) =>
      Effect.suspend(() => {
        const state = this.state
        const emit = this.emit
        if (state === undefined || emit === undefined) return Effect.void
        // the transition is taken synchronously, so two runs ending together cannot both alert
        const evaluation = evaluateRuns(state, runs, clock.unsafeCurrentTimeMillis())
        this.state = evaluation.state
        if (Option.isNone(evaluation.alert)) return Effect.void
        const alert = evaluation.alert.value
        return emit({ type: "quality_alert", payload: alert }).pipe(
          Effect.zipRight(Metrics.increment(Metrics.qualityAlerts, { kind: alert.kind })),
          Effect.zipRight(Effect.logInfo("quality alert", { kind: alert.kind }))
        )
      })
    )
  }
}

/** The `quality_alert` subscription of the user a frame came from: provided per user, with the user's other services. */
export class AlertSubscription extends Context.Tag("switchyard/AlertSubscription")<AlertSubscription, QualityAlertSubscription>() {}
