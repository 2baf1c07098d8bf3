import { Schema } from "effect"
import { ErrorCode } from "./ErrorCode.js"
import { EmptyObject, ReplyId, replyFrame, Timestamp } from "./ServerEnvelope.js"

/**
 * The replies to a client frame (PROTOCOL §5): `ack` (success, to a frame
 * with an id), `error` (failure, with the frame's id when it had a valid
 * one) and `pong` (to a `ping`).
 */

/** How an acknowledged frame was handled: processed now, or a repeat of an id answered before (PROTOCOL §5). */
export const AckStatus = Schema.Literal("ok", "duplicate")

/** @see AckStatus */
export type AckStatus = typeof AckStatus.Type

/** An `ack` whose `result` is `success`: the ack of one request type (see `ClientRequests`). */
export const ackFrameOf = <S extends Schema.Schema.AnyNoContext>(success: S) =>
  Schema.Struct({
    type: Schema.Literal("ack"),
    id: ReplyId,
    payload: Schema.Struct({ status: AckStatus, result: success }),
    ts: Timestamp
  })

/**
 * `ack {status, result}`, any request's: which result schema applies depends
 * on the frame it answers (the client knows by the `id`), so here it is any
 * JSON value. (A legacy backend's result is passed on as it is, PROTOCOL §8.)
 */
export const AckFrame = ackFrameOf(Schema.Unknown).annotations({
  description: "The success reply to a client frame with an `id` (`status` \"duplicate\" for a repeated id, with the first result)."
})

/** @see AckFrame */
export type AckFrame = typeof AckFrame.Type

/** The payload of an `error` frame (PROTOCOL §9): a code, a safe message, and details for some codes. */
export const ErrorPayload = Schema.Struct({
  code: ErrorCode,
  message: Schema.String,
  details: Schema.optional(Schema.Unknown)
})

/** `error {code, message, details?}` */
export const ErrorFrame = replyFrame("error", ErrorPayload).annotations({
  description: "A failure: the reply to a client frame (with its `id` when it had a valid one), or a frame that could not be read."
})

/** @see ErrorFrame */
export type ErrorFrame = typeof ErrorFrame.Type

/** `pong {}`: the answer to `ping`, with its id if it had one. */
export const PongFrame = replyFrame("pong", EmptyObject).annotations({
  description: "The answer to `ping` (with its `id`, if any)."
})

/** @see PongFrame */
export type PongFrame = typeof PongFrame.Type
