import { Clock, Effect } from "effect"
import { ClientRequests } from "../protocol/ClientRequests.js"
import { parseIsoDateTime } from "../protocol/IsoDateTime.js"
import { computeMetrics } from "../agent/quality/QualityMetrics.js"
import { computeReport } from "../agent/quality/QualityReport.js"
import { validateResponse } from "../agent/quality/ResponseValidation.js"
import * as Handler from "./Handler.js"
import { AlertSubscription } from "../agent/quality/AlertSubscription.js"
import { Runs } from "../agent/Runs.js"
import { HandlerSettings } from "./HandlerSettings.js"
import { Emitter } from "../state/Emitter.js"

/**
 * The quality handlers (PROTOCOL §4 `quality_*`): four handlers over the runs
 * this service actually executed for the user (`Runs`), never
 * over numbers a client sends. The computations are the pure functions of
 * `agent/quality`; these handlers only bring the user's runs, the clock and
 * the settings to them.
 */

/** `quality_metrics {window_s?}` → run counts, success rate, latency p50/p95, tool usage. */
export const qualityMetrics = Handler.make("quality_metrics", {
  ...ClientRequests.quality_metrics,
  handle: ({ window_s }) =>
    Effect.gen(function*() {
      const runs = yield* Runs
      const now = yield* Clock.currentTimeMillis
      return computeMetrics(runs.all, now, window_s)
    })
})

/**
 * `quality_validation {content, rules?}` → `{valid, issues: [{rule, message}]}`.
 * The length limit and banned phrases come from `QUALITY_MAX_LENGTH` and
 * `QUALITY_BANNED_PHRASES`: the operator's policy, not the client's.
 */
export const qualityValidation = Handler.make("quality_validation", {
  ...ClientRequests.quality_validation,
  handle: ({ content, rules }) =>
    Effect.map(HandlerSettings, (config) =>
      validateResponse(content, {
        maxLength: config.qualityMaxLength,
        bannedPhrases: config.qualityBannedPhrases,
        ...(rules === undefined ? {} : { rules })
      }))
})

/** `quality_report {since?}` → totals, rates, latency, slowest runs, tool usage, errors. */
export const qualityReport = Handler.make("quality_report", {
  ...ClientRequests.quality_report,
  handle: ({ since }) =>
    Effect.gen(function*() {
      const runs = yield* Runs
      const now = yield* Clock.currentTimeMillis
      // the payload schema accepted `since`, so it parses
      return computeReport(runs.all, since === undefined ? undefined : parseIsoDateTime(since), now)
    })
})

/**
 * `quality_alert {subscribe, min_success_rate?, max_p95_ms?}` → `{subscribed}`.
 * While subscribed, the subscription in the user's session is evaluated as
 * each run ends; a breach over the rolling window (`QUALITY_ALERT_WINDOW_S`,
 * at least `QUALITY_ALERT_MIN_RUNS` finished runs) pushes one `quality_alert`
 * event on the user's stream, and its recovery one more.
 */
export const qualityAlert = Handler.make("quality_alert", {
  ...ClientRequests.quality_alert,
  handle: ({ max_p95_ms, min_success_rate, subscribe }) =>
    Effect.gen(function*() {
      const subscription = yield* AlertSubscription
      if (!subscribe) {
        subscription.unsubscribe()
        return { subscribed: false }
      }
      const config = yield* HandlerSettings
      const emitter = yield* Emitter
      subscription.subscribe(
        yield* Runs,
        {
          ...(min_success_rate === undefined ? {} : { min_success_rate }),
          ...(max_p95_ms === undefined ? {} : { max_p95_ms })
        },
        { windowS: config.qualityAlertWindowS, minFinished: config.qualityAlertMinRuns },
        emitter.emit
      )
      return { subscribed: true }
    })
})
