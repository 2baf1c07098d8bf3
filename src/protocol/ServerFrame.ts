import type { FrameError } from "./FrameError.js"
import type { Notice } from "./Notices.js"
import type { AckStatus } from "./Replies.js"
import { runIdOf, type StreamEvent } from "./StreamEvents.js"

/**
 * The builders of every server → client frame: each writes its frame as a
 * string, with one `JSON.stringify` (or less), shared by every connection it
 * goes to.
 *
 * Why no schema runs here: the hot path (every ack, every stream event) must
 * not pay for encoding. The contract is enforced instead where it is cheap:
 *
 * - by type: the builders take only what the schemas' Encoded types allow
 *   (`Notice`, `StreamEvent`, a handler's result checked against its
 *   `success` schema by `Handler.make`), so an off-contract frame does not
 *   compile; none of these schemas transforms, so what is held is what is sent;
 * - by encoders where encoding does something: `Handler.make` compiles one
 *   for a success schema that transforms (`Encoder.encoderOf`), and a legacy
 *   backend's events, which no compiler has seen, are decoded with
 *   `StreamEvent` before they are emitted;
 * - by test: every frame the end-to-end suite receives is decoded with
 *   `ServerEvent` (test/support/FrameContract.ts).
 *
 * The schemas of the frames are in `ServerEvent` and the modules it unites;
 * the envelope they share is `ServerEnvelope.Envelope`.
 */

// the builders' event type; import it from StreamEvents.ts (this alias stays for code that names `ServerFrame.StreamEvent`)
export type { StreamEvent }

let lastMillis = Number.NaN
let lastIso = ""

/** The time `millis` as the ISO-8601 `ts` of a frame (formatted once per millisecond: every frame carries one). */
export const isoAt = (millis: number): string => {
  if (millis !== lastMillis) {
    lastMillis = millis
    lastIso = new Date(millis).toISOString()
  }
  return lastIso
}

/** The current time as the ISO-8601 `ts` of a frame. */
export const isoNow = (): string => isoAt(Date.now())

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
export const notice = <T extends Notice["type"]>(type: T, payload: Extract<Notice, { readonly type: T }>["payload"]): string =>
  JSON.stringify({ type, payload, ts: isoNow() })

/** A stream event with its `seq`. */
export const streamEvent = (seq: number, event: StreamEvent, ts: string): string =>
  JSON.stringify({ type: event.type, seq, run_id: runIdOf(event), payload: event.payload, ts })

// the heads of the few event types there are, made once each (bounded: an extension type is any string)
const heads = new Map<string, string>()
const MAX_HEADS = 256

/**
 * A stream event's frame before its seq, in two pieces around it:
 * `streamEventHead(type) + seq + streamEventTail(event, ts)` is
 * `streamEvent(seq, event, ts)`, character for character. A backplane can
 * then give the seq and write the frame in one step (a Redis script).
 */
export const streamEventHead = (type: StreamEvent["type"]): string => {
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
  "," + JSON.stringify({ run_id: runIdOf(event), payload: event.payload, ts }).slice(1)
