import { Schema } from "effect"
import { ErrorCode } from "./ErrorCode.js"
import { Count, EmptyObject, ReplyId, RunId } from "./ServerEnvelope.js"

/**
 * The `result` of each built-in request's `ack` (PROTOCOL §4) but the
 * quality ones (`Quality.ts`). `ClientRequests` says which is whose.
 */

/** `{}`: typing, error reports, disconnect (and ping's pong payload). */
export const EmptyResult = EmptyObject

/** `user_message`, `start_agent`, `agent_request` → `{run_id}`: the run that was started. */
export const RunStarted = Schema.Struct({ run_id: RunId })

/** @see RunStarted */
export type RunStarted = typeof RunStarted.Type

/** `stop_agent` → `{run_id, stopped}`: `stopped` is false when the run had already ended. */
export const RunStopped = Schema.Struct({ run_id: RunId, stopped: Schema.Boolean })

/** @see RunStopped */
export type RunStopped = typeof RunStopped.Type

/** `resume` → `{replayed, gap, epoch}` (PROTOCOL §4, §6). */
export const ResumeResult = Schema.Struct({
  replayed: Count,
  gap: Schema.Boolean,
  epoch: Schema.String
})

/** @see ResumeResult */
export type ResumeResult = typeof ResumeResult.Type

/** `quality_alert` → `{subscribed}` */
export const AlertSubscribed = Schema.Struct({ subscribed: Schema.Boolean })

/** @see AlertSubscribed */
export type AlertSubscribed = typeof AlertSubscribed.Type

/** A batch's entry for an inner frame that was processed (or a repeat of one): its own ack's status and result. */
export const BatchEntryOk = Schema.Struct({
  id: Schema.optional(ReplyId),
  status: Schema.Literal("ok", "duplicate"),
  result: Schema.Unknown
})

/** A batch's entry for an inner frame that failed: its error's code. */
export const BatchEntryError = Schema.Struct({
  id: Schema.optional(ReplyId),
  status: Schema.Literal("error"),
  code: ErrorCode
})

/** One inner frame's entry in a batch's result, with its id if it had a valid one. */
export const BatchEntry = Schema.Union(BatchEntryOk, BatchEntryError)

/** @see BatchEntry */
export type BatchEntry = typeof BatchEntry.Type

/** `batch` → `{results}`: one entry per inner frame, in order. */
export const BatchResult = Schema.Struct({ results: Schema.Array(BatchEntry) })

/** @see BatchResult */
export type BatchResult = typeof BatchResult.Type
