import { Schema } from "effect"
import { streamFrame } from "./ServerEnvelope.js"

/**
 * The checks `quality_validation` can run on an AI response (PROTOCOL §4); a
 * payload's `rules?` field decodes against this.
 *
 * - `empty`: blank or whitespace only (zero-width spaces included).
 * - `max_length`: longer than `maxLength` (UTF-16 code units, as `String.length`
 *   and `Schema.maxLength` count).
 * - `unbalanced_code_fence`: an odd number of ``` fences (each maximal run of
 *   three or more backticks counts once, so "```js```" on one line is balanced).
 * - `leaked_credential`: something that looks like a secret (see
 *   {@link CREDENTIAL_PATTERNS}); the message never repeats the secret.
 * - `banned_phrase`: a banned phrase occurs, ignoring case and runs of whitespace.
 */
export const ValidationRule = Schema.Literal(
  "empty",
  "max_length",
  "unbalanced_code_fence",
  "leaked_credential",
  "banned_phrase"
)

/** @see ValidationRule */
export type ValidationRule = typeof ValidationRule.Type

/**
 * The thresholds of a `quality_alert` subscription (PROTOCOL §4): a breach is
 * `success_rate < min_success_rate` or `latency_ms.p95 > max_p95_ms`. A
 * threshold left out is not checked; with neither, nothing ever alerts.
 */
export const AlertThresholds = Schema.Struct({
  min_success_rate: Schema.optional(Schema.Number.pipe(
    Schema.between(0, 1),
    Schema.annotations({ description: "a number between 0 and 1" })
  )),
  max_p95_ms: Schema.optional(Schema.Number.pipe(
    Schema.nonNegative(),
    Schema.annotations({ description: "a number >= 0" })
  ))
})

/** @see AlertThresholds */
export type AlertThresholds = typeof AlertThresholds.Type

/**
 * The result of `quality_metrics` (PROTOCOL §4): the quality of a user's agent
 * runs, over all runs held or over a window of recent ones.
 *
 * - `runs` counts every run in the window, `running` ones included;
 *   `completed + failed + cancelled <= runs`.
 * - `success_rate` is `completed / (completed + failed + cancelled)`, in
 *   `[0, 1]`. With no finished run it is `1` (nothing has gone wrong yet), so a
 *   dashboard gauge and a `min_success_rate` alert stay numeric and quiet;
 *   a consumer that must tell "perfect" from "no data" checks
 *   `completed + failed + cancelled === 0`.
 * - `latency_ms` are nearest-rank percentiles of a run's duration over the
 *   ended runs; both `0` when no run has ended.
 * - `tools` counts tool calls by tool name, repeats included, running runs
 *   included (the calls they have made so far).
 */
export const QualityMetrics = Schema.Struct({
  runs: Schema.Number,
  completed: Schema.Number,
  failed: Schema.Number,
  cancelled: Schema.Number,
  success_rate: Schema.Number,
  latency_ms: Schema.Struct({ p50: Schema.Number, p95: Schema.Number }),
  tools: Schema.Record({ key: Schema.String, value: Schema.Number })
})

/** @see QualityMetrics */
export type QualityMetrics = typeof QualityMetrics.Type

/** One entry of a report's `slowest` list: an ended run and its latency. */
export const SlowRun = Schema.Struct({
  run_id: Schema.String,
  agent: Schema.String,
  thread_id: Schema.optional(Schema.String),
  latency_ms: Schema.Number,
  status: Schema.Literal("completed", "failed", "cancelled")
})

/** @see SlowRun */
export type SlowRun = typeof SlowRun.Type

/**
 * The result of `quality_report` (PROTOCOL §4): the user's runs that started
 * in the period `[since, until]`.
 *
 * - `since`: the requested start; without one, the start of the earliest run
 *   reported (or `until` when there is none), so both ends are always ISO-8601.
 * - `totals.runs = completed + failed + cancelled + running`.
 * - `rates` are shares of the finished runs (as `quality_metrics`'
 *   `success_rate`); they sum to 1. With no finished run: `success_rate` 1, the
 *   others 0.
 * - `latency_ms` (nearest-rank `p50`, `p95`, and `max`) and `slowest` cover the
 *   ended runs only; latencies are 0 when none has ended. `slowest` holds the
 *   slowest few runs, slowest first (ties: earlier start first).
 * - `tools` counts tool calls by name; `errors` counts failed runs by error
 *   code (`"UNKNOWN"` for a failure without a code).
 */
export const QualityReport = Schema.Struct({
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
})

/** @see QualityReport */
export type QualityReport = typeof QualityReport.Type

/** One problem found in a response, named by the rule that found it. */
export const ValidationIssue = Schema.Struct({
  rule: ValidationRule,
  message: Schema.String
})

/** @see ValidationIssue */
export type ValidationIssue = typeof ValidationIssue.Type

/** The result of `quality_validation`: `valid` exactly when there is no issue. */
export const ValidationResult = Schema.Struct({
  valid: Schema.Boolean,
  issues: Schema.Array(ValidationIssue)
})

/** @see ValidationResult */
export type ValidationResult = typeof ValidationResult.Type

/** The payload of a `quality_alert` stream event announcing that a breach started. */
export const BreachAlert = Schema.Struct({
  kind: Schema.Literal("breach"),
  /** one human-readable line per threshold crossed */
  reasons: Schema.Array(Schema.String),
  metrics: QualityMetrics,
  thresholds: AlertThresholds
})

/** The payload of a `quality_alert` stream event announcing that a breach is over. */
export const RecoveredAlert = Schema.Struct({
  kind: Schema.Literal("recovered"),
  metrics: QualityMetrics,
  thresholds: AlertThresholds
})

/** The payload of a `quality_alert` stream event (PROTOCOL §4, §6). */
export const QualityAlert = Schema.Union(BreachAlert, RecoveredAlert)

/** @see QualityAlert */
export type QualityAlert = typeof QualityAlert.Type

/** `quality_alert`: a stream event (with `seq`, no `run_id`) of a subscribed user. */
export const QualityAlertFrame = streamFrame("quality_alert", QualityAlert).annotations({
  description: "A subscribed user's agent-run quality crossed a threshold (`breach`) or came back (`recovered`)."
})

/** @see QualityAlertFrame */
export type QualityAlertFrame = typeof QualityAlertFrame.Type
