import { Option } from "effect"
import type { AlertThresholds, QualityAlert, QualityMetrics } from "../../protocol/Quality.js"
import type { RunRecord } from "../RunRecord.js"
import { computeMetrics } from "./QualityMetrics.js"

/** The default rolling window the alert looks at, in seconds. */
export const DEFAULT_WINDOW_S = 300

/** The default number of finished runs in the window below which no breach is declared. */
export const DEFAULT_MIN_FINISHED = 5

/** The default hysteresis of `min_success_rate`: recovery needs the rate this much (absolute) above it. */
export const DEFAULT_SUCCESS_RATE_MARGIN = 0.05

/** The default hysteresis of `max_p95_ms`: recovery needs p95 this fraction below it. */
export const DEFAULT_P95_MARGIN = 0.1

/** How a subscription evaluates: its thresholds and the knobs around them. */
export interface AlertConfig {
  readonly thresholds: AlertThresholds
  /** the rolling window of runs (by start time), seconds */
  readonly windowS: number
  /** finished runs needed in the window before a breach can be declared */
  readonly minFinished: number
  /** recovery needs `success_rate >= min(1, min_success_rate + successRateMargin)` */
  readonly successRateMargin: number
  /** recovery needs `p95 <= max_p95_ms * (1 - p95Margin)` */
  readonly p95Margin: number
}

/**
 * The state of one subscription: its config and whether a breach is under way.
 * `"ok"` means the next breach alerts; `"breached"` means an alert has been sent
 * for the current breach and no other will be until it recovers.
 */
export interface AlertState {
  readonly config: AlertConfig
  readonly status: "ok" | "breached"
}

/** A fresh subscription: status `"ok"`, defaults for every knob not given. */
export const initialState = (
  thresholds: AlertThresholds,
  options: Partial<Omit<AlertConfig, "thresholds">> = {}
): AlertState => ({
  config: {
    thresholds,
    windowS: options.windowS ?? DEFAULT_WINDOW_S,
    minFinished: options.minFinished ?? DEFAULT_MIN_FINISHED,
    successRateMargin: options.successRateMargin ?? DEFAULT_SUCCESS_RATE_MARGIN,
    p95Margin: options.p95Margin ?? DEFAULT_P95_MARGIN
  },
  status: "ok"
})

/** The payloads of `quality_alert`: their schemas are the protocol's. */
export { BreachAlert, QualityAlert, RecoveredAlert } from "../../protocol/Quality.js"

/** What one evaluation yields: the next state and, at a transition, the alert to push. */
export interface Evaluation {
  readonly state: AlertState
  readonly alert: Option.Option<QualityAlert>
}

/**
 * Why `metrics` breach `thresholds`: one line per threshold crossed, `[]` when
 * within them. Does not look at how many runs there were (see {@link evaluate}).
 */
export const breachReasons = (thresholds: AlertThresholds, metrics: QualityMetrics): Array<string> => {
  const reasons: Array<string> = []
  const { max_p95_ms, min_success_rate } = thresholds
  if (min_success_rate !== undefined && metrics.success_rate < min_success_rate) {
    reasons.push(`success_rate ${round(metrics.success_rate)} is below min_success_rate ${min_success_rate}`)
  }
  if (max_p95_ms !== undefined && metrics.latency_ms.p95 > max_p95_ms) {
    reasons.push(`p95 latency ${metrics.latency_ms.p95} ms is above max_p95_ms ${max_p95_ms}`)
  }
  return reasons
}

/**
 * Whether `metrics` are back within the thresholds by the hysteresis margins:
 * `success_rate >= min(1, min_success_rate + successRateMargin)` and
 * `p95 <= max_p95_ms * (1 - p95Margin)`. The margins keep a value that hovers
 * around a threshold from alerting again and again. The bounds are compared
 * with a tolerance of 1e-9, so `0.8 + 0.05` recovers at a rate of exactly 0.85.
 */
export const isRecovered = (config: AlertConfig, metrics: QualityMetrics): boolean => {
  const { max_p95_ms, min_success_rate } = config.thresholds
  const rateOk = min_success_rate === undefined ||
    metrics.success_rate >= Math.min(1, min_success_rate + config.successRateMargin) - EPSILON
  const p95Ok = max_p95_ms === undefined ||
    metrics.latency_ms.p95 <= max_p95_ms * (1 - config.p95Margin) + EPSILON
  return rateOk && p95Ok
}

/**
 * One step of the hysteresis state machine, on the metrics of the
 * subscription's window (see {@link evaluateRuns}):
 *
 * | status | metrics | next status | alert |
 * |---|---|---|---|
 * | `ok` | fewer than `minFinished` finished runs | `ok` | none |
 * | `ok` | a threshold crossed | `breached` | one `breach` with its reasons |
 * | `ok` | within thresholds | `ok` | none |
 * | `breached` | fewer than `minFinished` finished runs | `breached` | none (no data is not a recovery) |
 * | `breached` | recovered by the margins ({@link isRecovered}) | `ok` | one `recovered` |
 * | `breached` | anything else (still crossed, or between threshold and margin) | `breached` | none |
 *
 * So a breach alerts once however long it lasts (even if its reasons change),
 * its end is announced once, and the next breach alerts again. The router may
 * drop `recovered` alerts if clients only want breaches; the state machine does
 * not depend on them being delivered.
 */
export const evaluate = (state: AlertState, metrics: QualityMetrics): Evaluation => {
  const { config } = state
  const finished = metrics.completed + metrics.failed + metrics.cancelled
  if (finished < config.minFinished) return { state, alert: Option.none() }
  if (state.status === "ok") {
    const reasons = breachReasons(config.thresholds, metrics)
    return reasons.length === 0
      ? { state, alert: Option.none() }
      : {
        state: { config, status: "breached" },
        alert: Option.some({ kind: "breach", reasons, metrics, thresholds: config.thresholds })
      }
  }
  return isRecovered(config, metrics)
    ? {
      state: { config, status: "ok" },
      alert: Option.some({ kind: "recovered", metrics, thresholds: config.thresholds })
    }
    : { state, alert: Option.none() }
}

/** {@link evaluate} on the metrics of the runs that started in the config's window before `nowMs`. */
export const evaluateRuns = (state: AlertState, runs: ReadonlyArray<RunRecord>, nowMs: number): Evaluation =>
  evaluate(state, computeMetrics(runs, nowMs, state.config.windowS))

// Float sums such as 0.8 + 0.05 = 0.8500000000000001 must not move a bound.
const EPSILON = 1e-9

const round = (value: number): number => Math.round(value * 1000) / 1000
