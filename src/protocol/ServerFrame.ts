import { Schema } from "effect"
import { ErrorCode } from "./ErrorCode.js"
import type { FrameError } from "./FrameError.js"

/**
 * The shape of every server → client frame (PROTOCOL §3). The service writes
 * frames with the encoders below (one `JSON.stringify` per frame, shared by
 * every connection it goes to); this schema is what clients and tests check
 * them against.
 */
export const ServerFrame = Schema.Struct({
  type: Schema.String,
  id: Schema.optional(Schema.String),
  seq: Schema.optional(Schema.Int.pipe(Schema.positive())),
  run_id: Schema.optional(Schema.String),
  payload: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  ts: Schema.String.pipe(Schema.pattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/))
})

/** A decoded server frame. */
export type ServerFrame = typeof ServerFrame.Type

/** The payload of an `error` frame. */
export const ErrorPayload = Schema.Struct({
  code: ErrorCode,
  message: Schema.String,
  details: Schema.optional(Schema.Unknown)
})

/**
 * The payload of `connection_established` (PROTOCOL §4): `last_seq` and
 * `epoch` say where the user's stream is, so a client knows what to resume from.
 */
export const ConnectionEstablished = Schema.Struct({
  connection_id: Schema.String,
  user_id: Schema.String,
  last_seq: Schema.Int.pipe(Schema.nonNegative()),
  epoch: Schema.String,
  heartbeat_ms: Schema.Number,
  server: Schema.Struct({ version: Schema.String, node_id: Schema.String })
})

/** A `connection_established` payload. */
export type ConnectionEstablished = typeof ConnectionEstablished.Type

/** The `result` of a `resume`'s ack (PROTOCOL §4). */
export const ResumeAck = Schema.Struct({
  replayed: Schema.Int.pipe(Schema.nonNegative()),
  gap: Schema.Boolean,
  epoch: Schema.String
})

/** How an acknowledged frame was handled (PROTOCOL §5). */
export type AckStatus = "ok" | "duplicate"

/** An event of a user's stream, before it gets its `seq` (PROTOCOL §6). */
export interface StreamEvent {
  readonly type: string
  readonly payload: object
  readonly run_id?: string | undefined
}

let lastMillis = Number.NaN
let lastIso = ""

/** The current time as the ISO-8601 `ts` of a frame (formatted once per millisecond: every frame carries one). */
export const isoNow = (): string => {
  const now = Date.now()
  if (now !== lastMillis) {
    lastMillis = now
    lastIso = new Date(now).toISOString()
  }
  return lastIso
}

const EMPTY_RESULT = "{}"

/** `ack {status, result}` answering the client frame `id` (the same JSON as `JSON.stringify` of the frame, without building it). */
export const ack = (id: string, status: AckStatus, result: unknown): string =>
  `{"type":"ack","id":${JSON.stringify(id)},"payload":{"status":"${status}","result":${
    isEmptyObject(result) ? EMPTY_RESULT : JSON.stringify(result)
  }},"ts":"${isoNow()}"}`

// most acks carry `{}` (typing, resume-less control frames): skip stringifying it
const isEmptyObject = (u: unknown): boolean => {
  if (u === undefined || u === null) return true
  if (typeof u !== "object" || Array.isArray(u) || Object.getPrototypeOf(u) !== Object.prototype) return false
  for (const _ in u) return false
  return true
}

/** `error {code, message, details?}`, with the frame's id when it had a valid one. */
export const error = (id: string | undefined, failure: FrameError): string =>
  JSON.stringify({
    type: "error",
    id,
    payload: { code: failure.code, message: failure.message, details: failure.details },
    ts: isoNow()
  })

/** `pong`, with the ping's id if it had one. */
export const pong = (id: string | undefined): string => JSON.stringify({ type: "pong", id, payload: {}, ts: isoNow() })

/** A frame outside the user's stream (no `seq`): greetings, typing notices. */
export const notice = (type: string, payload: object): string => JSON.stringify({ type, payload, ts: isoNow() })

/** A stream event with its `seq`. */
export const streamEvent = (seq: number, event: StreamEvent, ts: string): string =>
  JSON.stringify({ type: event.type, seq, run_id: event.run_id, payload: event.payload, ts })

// the heads of the few event types there are, made once each (bounded: a type is any string)
const heads = new Map<string, string>()
const MAX_HEADS = 256

/**
 * A stream event's frame before its seq, in two pieces around it:
 * `streamEventHead(type) + seq + streamEventTail(event, ts)` is
 * `streamEvent(seq, event, ts)`, character for character. A backplane can
 * then give the seq and write the frame in one step (a Redis script).
 */
export const streamEventHead = (type: string): string => {
  let head = heads.get(type)
  if (head === undefined) {
    head = `{"type":${JSON.stringify(type)},"seq":`
    if (heads.size < MAX_HEADS) heads.set(type, head)
  }
  return head
}

/** What follows the seq in a stream event's frame (see {@link streamEventHead}). */
export const streamEventTail = (event: StreamEvent, ts: string): string =>
  // `{"run_id":…` becomes `,"run_id":…`: ts is always there, so the object is never empty
  "," + JSON.stringify({ run_id: event.run_id, payload: event.payload, ts }).slice(1)
