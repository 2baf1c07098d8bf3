import { Clock, Effect } from "effect";
import { SwitchyardConfig } from "../Config.js";
import {
  QualityAlertRequest,
  QualityMetricsRequest,
  QualityReportRequest,
  QualityValidationRequest
} from "../protocol/Payloads.js";
import { parseIsoDateTime } from "../protocol/IsoDateTime.js";
import { computeMetrics } from "../quality/QualityMetrics.js";
import { computeReport } from "../quality/QualityReport.js";
import { validateResponse } from "../quality/ResponseValidation.js";
import * as Handler from "../router/Handler.js";
import { Emitter } from "../session/Emitter.js";
import { UserContext } from "../session/UserContext.js";
const qualityMetrics = Handler.make("quality_metrics", {
  payload: QualityMetricsRequest,
  handle: ({ window_s }) => Effect.gen(function* () {
    const session = yield* UserContext;
    const now = yield* Clock.currentTimeMillis;
    return computeMetrics(session.runs.all, now, window_s);
  })
});
const qualityValidation = Handler.make("quality_validation", {
  payload: QualityValidationRequest,
  handle: ({ content, rules }) => Effect.map(SwitchyardConfig, (config) => validateResponse(content, {
    maxLength: config.qualityMaxLength,
    bannedPhrases: config.qualityBannedPhrases,
    ...rules === void 0 ? {} : { rules }
  }))
});
const qualityReport = Handler.make("quality_report", {
  payload: QualityReportRequest,
  handle: ({ since }) => Effect.gen(function* () {
    const session = yield* UserContext;
    const now = yield* Clock.currentTimeMillis;
    return computeReport(session.runs.all, since === void 0 ? void 0 : parseIsoDateTime(since), now);
  })
});
const qualityAlert = Handler.make("quality_alert", {
  payload: QualityAlertRequest,
  handle: ({ max_p95_ms, min_success_rate, subscribe }) => Effect.gen(function* () {
    const session = yield* UserContext;
    if (!subscribe) {
      session.qualityAlert.unsubscribe();
      return { subscribed: false };
    }
    const config = yield* SwitchyardConfig;
    const emitter = yield* Emitter;
    session.qualityAlert.subscribe(
      session.runs,
      {
        ...min_success_rate === void 0 ? {} : { min_success_rate },
        ...max_p95_ms === void 0 ? {} : { max_p95_ms }
      },
      { windowS: config.qualityAlertWindowS, minFinished: config.qualityAlertMinRuns },
      emitter.emit
    );
    return { subscribed: true };
  })
});
export {
  qualityAlert,
  qualityMetrics,
  qualityReport,
  qualityValidation
};
//# sourceMappingURL=Quality.js.map
