import { Schema } from "effect"
import { BoundedString, JsonObject } from "./ClientFrame.js"
import { IsoDateTime } from "./IsoDateTime.js"
import { AlertThresholds, ValidationRule } from "./Quality.js"

/** A conversation thread id, chosen by the client. */
export const ThreadId = BoundedString(1, 256)

/** A payload without fields (`ping`, `disconnect`): anything it carries is ignored. */
export const EmptyPayload = Schema.Struct({})

/** `user_message {text, thread_id?}` */
export const UserMessage = Schema.Struct({
  text: BoundedString(1, 32_000),
  thread_id: Schema.optional(ThreadId)
})

/** `start_agent` / `agent_request {text?, agent?, params?, thread_id?}` */
export const StartAgent = Schema.Struct({
  text: Schema.optional(BoundedString(0, 32_000)),
  agent: Schema.optional(BoundedString(1, 128)),
  params: Schema.optional(JsonObject),
  thread_id: Schema.optional(ThreadId)
})

/** `stop_agent {run_id}` */
export const StopAgent = Schema.Struct({
  run_id: BoundedString(1, 128)
})

/** `typing {is_typing, thread_id?}` */
export const Typing = Schema.Struct({
  is_typing: Schema.Boolean,
  thread_id: Schema.optional(ThreadId)
})

/** `batch {messages}`: 1–100 client frames, decoded one by one later. */
export const Batch = Schema.Struct({
  messages: Schema.Array(Schema.Unknown).pipe(
    Schema.filter((messages) => messages.length >= 1 && messages.length <= 100, {
      description: "an array of 1-100 frames",
      jsonSchema: { minItems: 1, maxItems: 100 }
    })
  )
})

/** `resume {last_seq, epoch?}`: the epoch is opaque, echoed back from `connection_established` or a resume ack. */
export const Resume = Schema.Struct({
  last_seq: Schema.Number.pipe(
    Schema.filter((n) => Number.isSafeInteger(n) && n >= 0, {
      description: "an integer >= 0",
      jsonSchema: { type: "integer", minimum: 0 }
    })
  ),
  epoch: Schema.optional(BoundedString(1, 256))
})

/** `error {message, details?}`: a client-side error report. */
export const ClientErrorReport = Schema.Struct({
  message: BoundedString(0, 10_000),
  details: Schema.optional(Schema.Unknown)
})

/** `quality_metrics {window_s?}`: only runs that started in the last `window_s` seconds. */
export const QualityMetricsRequest = Schema.Struct({
  window_s: Schema.optional(Schema.Number.pipe(
    Schema.filter((n) => Number.isFinite(n) && n > 0, {
      description: "a number of seconds > 0",
      jsonSchema: { exclusiveMinimum: 0 }
    })
  ))
})

/** `quality_validation {content, rules?}`: `rules` name checks of `ValidationRule` (default: all). */
export const QualityValidationRequest = Schema.Struct({
  content: Schema.String,
  rules: Schema.optional(Schema.Array(ValidationRule))
})

/** `quality_report {since?}`: runs that started at or after `since` (ISO-8601). */
export const QualityReportRequest = Schema.Struct({
  since: Schema.optional(IsoDateTime)
})

/** `quality_alert {subscribe, min_success_rate?, max_p95_ms?}` */
export const QualityAlertRequest = Schema.Struct({
  subscribe: Schema.Boolean,
  ...AlertThresholds.fields
})
