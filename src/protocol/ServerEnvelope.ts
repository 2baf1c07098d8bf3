import { Schema } from "effect"

/**
 * The fields every server → client frame is made of (PROTOCOL §3), and the
 * four envelopes a frame comes in. Each frame type's schema (`Notices`,
 * `Replies`, `AgentEvents`, `Quality`, `ExtensionEvent`) is one of these
 * around its payload: the WHOLE frame as it is sent, `type` a literal.
 *
 * The field order is the order the service writes them in.
 */

/** `ts`: when the frame was made, ISO-8601 in UTC with milliseconds (`Date#toISOString`). */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/
export const Timestamp = Schema.String.pipe(
  Schema.pattern(ISO_UTC, {
    description: "an ISO-8601 date-time in UTC",
    jsonSchema: { pattern: ISO_UTC.source, format: "date-time" }
  })
)

/** `seq`: the event's place in the user's stream within its epoch, from 1 (PROTOCOL §6). */
export const Seq = Schema.Number.pipe(Schema.int(), Schema.positive())

/** An integer >= 0 (a count, a `last_seq` that may be 0). */
export const Count = Schema.Number.pipe(Schema.int(), Schema.nonNegative())

/** The id of an agent run (the service's `r-<uuid>`, or a legacy backend's). */
export const RunId = Schema.String

/** The client's message id a reply answers (the frame's `id`, 1–128 characters). */
export const ReplyId = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128))

/** An object without fields: `{}` (a `Struct({})` would admit any value in TypeScript and in JSON Schema). */
export const EmptyObject = Schema.Record({ key: Schema.String, value: Schema.Never })

/**
 * The envelope every server frame shares, whatever its type: `{type, id?,
 * seq?, run_id?, payload, ts}`. What a reader checks before it knows the
 * type; `ServerEvent` is the exact schema of each type's frame.
 */
export const Envelope = Schema.Struct({
  type: Schema.String,
  id: Schema.optional(ReplyId),
  seq: Schema.optional(Seq),
  run_id: Schema.optional(RunId),
  payload: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  ts: Timestamp
})

/** @see Envelope */
export type Envelope = typeof Envelope.Type

/** A frame outside the user's stream, answering nothing: `{type, payload, ts}` (greetings, typing notices). */
export const noticeFrame = <const T extends string, P extends Schema.Schema.AnyNoContext>(type: T, payload: P) =>
  Schema.Struct({ type: Schema.Literal(type), payload, ts: Timestamp })

/** A reply to a client frame: `{type, id, payload, ts}`, `id` when the frame had a valid one. */
export const replyFrame = <const T extends string, P extends Schema.Schema.AnyNoContext>(type: T, payload: P) =>
  Schema.Struct({ type: Schema.Literal(type), id: Schema.optional(ReplyId), payload, ts: Timestamp })

/** An event of the user's stream: `{type, seq, payload, ts}`. */
export const streamFrame = <const T extends string, P extends Schema.Schema.AnyNoContext>(type: T, payload: P) =>
  Schema.Struct({ type: Schema.Literal(type), seq: Seq, payload, ts: Timestamp })

/** An event of an agent run, on the user's stream: `{type, seq, run_id, payload, ts}`. */
export const runFrame = <const T extends string, P extends Schema.Schema.AnyNoContext>(type: T, payload: P) =>
  Schema.Struct({ type: Schema.Literal(type), seq: Seq, run_id: RunId, payload, ts: Timestamp })
