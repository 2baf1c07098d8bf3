import { Either, Schema } from "effect"
import type { ExtensionEventFrame } from "../protocol/ExtensionEvent.js"
import { FrameError } from "../protocol/FrameError.js"
import type { ConnectionEstablished } from "../protocol/Notices.js"
import { ResumeResult } from "../protocol/Results.js"
import { type BuiltinServerEvent, isBuiltinServerEvent, ServerEvent } from "../protocol/ServerEvent.js"
import { Envelope } from "../protocol/ServerEnvelope.js"
import type { ResumeResult as ResumeOutcome } from "./StreamCursor.js"

/**
 * A frame from the server, as the client acts on it: decoded once with the
 * protocol's union of every server frame (`ServerEvent`), sorted by what it is.
 */

/**
 * An event of the user's stream, typed by its `type`: `switch (event.type)`
 * narrows its payload. Every event may be asked its `run_id` (agent events
 * have one, the others never do).
 */
export type StreamEvent =
  | (Extract<BuiltinServerEvent, { readonly seq: number }> & { readonly run_id?: string | undefined })
  | ExtensionStreamEvent

/**
 * An event of a type the protocol does not define (a legacy backend's, or an
 * embedder's own handlers'), its frame as sent. It is wrapped so that the
 * built-in types stay a closed union that TypeScript can narrow.
 */
export interface ExtensionStreamEvent {
  readonly type: "extension_event"
  readonly seq: number
  readonly run_id?: string | undefined
  readonly frame: ExtensionEventFrame
}

/** A stream event off the contract: its seq counts (it holds its place in the cursor), its content cannot be typed. */
export interface Undecodable {
  readonly type: "undecodable"
  readonly seq: number
}

/** A decoded frame, by what the client does with it. */
export type Inbound =
  | { readonly type: "connection_established"; readonly payload: ConnectionEstablished }
  | { readonly type: "ack"; readonly id: string; readonly result: unknown }
  | { readonly type: "error"; readonly id: string | undefined; readonly error: FrameError }
  | { readonly type: "pong"; readonly id: string | undefined }
  | { readonly type: "event"; readonly event: StreamEvent }
  | Undecodable
  /** a frame with a `seq` that is no seq (not a positive safe integer): it cannot hold a place, so the connection ends */
  | { readonly type: "violation" }
  | { readonly type: "other" }

const decodeFrame = Schema.decodeUnknownEither(Schema.parseJson(ServerEvent))
const decodeEnvelope = Schema.decodeUnknownEither(Schema.parseJson(Envelope))
const decodeResume = Schema.decodeUnknownEither(ResumeResult)

/** One text frame, decoded; `undefined` for text that is not a server frame at all. */
export const decode = (text: string): Inbound | undefined => {
  const decoded = decodeFrame(text)
  if (Either.isLeft(decoded)) {
    // a server newer than this client, or off its contract: a stream event still holds its place
    const envelope = decodeEnvelope(text)
    if (Either.isRight(envelope)) return envelope.right.seq !== undefined ? { type: "undecodable", seq: envelope.right.seq } : undefined
    return hasSeq(text) ? { type: "violation" } : undefined
  }
  const frame = decoded.right
  if (!isBuiltinServerEvent(frame)) {
    return { type: "event", event: { type: "extension_event", seq: frame.seq, run_id: frame.run_id, frame } }
  }
  switch (frame.type) {
    case "connection_established":
      return { type: "connection_established", payload: frame.payload }
    case "ack":
      return { type: "ack", id: frame.id, result: frame.payload.result }
    case "error":
      return { type: "error", id: frame.id, error: new FrameError(frame.payload) }
    case "pong":
      return { type: "pong", id: frame.id }
    case "typing":
      return { type: "other" }
    default:
      return { type: "event", event: frame }
  }
}

/** Whether text that is no server frame still carries a `seq` (1e300, say): then it is not to be skipped silently. */
const hasSeq = (text: string): boolean => {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === "object" && value !== null && "seq" in value && value.seq !== undefined
  } catch {
    return false
  }
}

/** A resume ack's result; one off the contract counts as a gap (reload rather than trust it). */
export const decodeResumeResult = (result: unknown): ResumeOutcome => {
  const decoded = decodeResume(result)
  return Either.isRight(decoded) ? decoded.right : { gap: true }
}
