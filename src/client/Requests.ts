import { Schema } from "effect"
import * as Payloads from "../protocol/Payloads.js"

/**
 * The requests a client can make (PROTOCOL §4): each type's payload schema
 * (checked before anything is sent) and the schema of its ack's `result`.
 * `resume` is the client's own business and `disconnect` is closing its scope.
 */

const RunStarted = Schema.Struct({ run_id: Schema.String })
const Empty = Schema.Struct({})
const Anything = Schema.Record({ key: Schema.String, value: Schema.Unknown })

export const Requests = {
  ping: { payload: Payloads.EmptyPayload, success: Empty },
  user_message: { payload: Payloads.UserMessage, success: RunStarted },
  start_agent: { payload: Payloads.StartAgent, success: RunStarted },
  agent_request: { payload: Payloads.StartAgent, success: RunStarted },
  stop_agent: { payload: Payloads.StopAgent, success: Schema.Struct({ run_id: Schema.String, stopped: Schema.Boolean }) },
  typing: { payload: Payloads.Typing, success: Empty },
  batch: { payload: Payloads.Batch, success: Anything },
  quality_metrics: { payload: Payloads.QualityMetricsRequest, success: Anything },
  quality_validation: { payload: Payloads.QualityValidationRequest, success: Anything },
  quality_report: { payload: Payloads.QualityReportRequest, success: Anything },
  quality_alert: { payload: Payloads.QualityAlertRequest, success: Schema.Struct({ subscribed: Schema.Boolean }) },
  error: { payload: Payloads.ClientErrorReport, success: Empty }
} as const satisfies Record<string, RequestSpec>

/** A request type: its payload and result schemas. */
export interface RequestSpec {
  readonly payload: Schema.Schema.AnyNoContext
  readonly success: Schema.Schema.AnyNoContext
}

/** Every request type the client knows. */
export type RequestType = keyof typeof Requests

/** What `request(type, payload)` takes for `type`. */
export type RequestPayload<T extends RequestType> = Schema.Schema.Type<(typeof Requests)[T]["payload"]>

/** What the ack of `type` carries as its result. */
export type RequestResult<T extends RequestType> = Schema.Schema.Type<(typeof Requests)[T]["success"]>
