import { Schema } from "effect";
import { AlertThresholds } from "../quality/QualityAlert.js";
import { ValidationRule } from "../quality/ResponseValidation.js";
import { BoundedString, JsonObject } from "./ClientFrame.js";
import { IsoDateTime } from "./IsoDateTime.js";
const ThreadId = BoundedString(1, 256);
const EmptyPayload = Schema.Struct({});
const UserMessage = Schema.Struct({
  text: BoundedString(1, 32e3),
  thread_id: Schema.optional(ThreadId)
});
const StartAgent = Schema.Struct({
  text: Schema.optional(BoundedString(0, 32e3)),
  agent: Schema.optional(BoundedString(1, 128)),
  params: Schema.optional(JsonObject),
  thread_id: Schema.optional(ThreadId)
});
const StopAgent = Schema.Struct({
  run_id: BoundedString(1, 128)
});
const Typing = Schema.Struct({
  is_typing: Schema.Boolean,
  thread_id: Schema.optional(ThreadId)
});
const Batch = Schema.Struct({
  messages: Schema.Array(Schema.Unknown).pipe(
    Schema.filter((messages) => messages.length >= 1 && messages.length <= 100, {
      description: "an array of 1-100 frames"
    })
  )
});
const Resume = Schema.Struct({
  last_seq: Schema.Number.pipe(
    Schema.filter((n) => Number.isSafeInteger(n) && n >= 0, { description: "an integer >= 0" })
  )
});
const ClientErrorReport = Schema.Struct({
  message: BoundedString(0, 1e4),
  details: Schema.optional(Schema.Unknown)
});
const QualityMetricsRequest = Schema.Struct({
  window_s: Schema.optional(Schema.Number.pipe(
    Schema.filter((n) => Number.isFinite(n) && n > 0, { description: "a number of seconds > 0" })
  ))
});
const QualityValidationRequest = Schema.Struct({
  content: Schema.String,
  rules: Schema.optional(Schema.Array(ValidationRule))
});
const QualityReportRequest = Schema.Struct({
  since: Schema.optional(IsoDateTime)
});
const QualityAlertRequest = Schema.Struct({
  subscribe: Schema.Boolean,
  ...AlertThresholds.fields
});
export {
  Batch,
  ClientErrorReport,
  EmptyPayload,
  QualityAlertRequest,
  QualityMetricsRequest,
  QualityReportRequest,
  QualityValidationRequest,
  Resume,
  StartAgent,
  StopAgent,
  ThreadId,
  Typing,
  UserMessage
};
//# sourceMappingURL=Payloads.js.map
