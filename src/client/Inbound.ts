import { Either, Schema } from "effect"
import { FrameError } from "../protocol/FrameError.js"
import { ConnectionEstablished, ErrorPayload, ResumeAck, ServerFrame } from "../protocol/ServerFrame.js"
import type { ResumeResult } from "./StreamCursor.js"

/**
 * A frame from the server, as the client acts on it: decoded once, sorted
 * by what it is. A frame off the contract is dropped (`undefined`): a client
 * must survive a server newer than itself.
 */

/** An event of the user's stream (it has a `seq`). */
export type StreamEvent = ServerFrame & { readonly seq: number }

/** A decoded frame, by what the client does with it. */
export type Inbound =
  | { readonly type: "connection_established"; readonly payload: ConnectionEstablished }
  | { readonly type: "ack"; readonly id: string | undefined; readonly payload: { readonly result: unknown } }
  | { readonly type: "error"; readonly id: string | undefined; readonly error: FrameError }
  | { readonly type: "pong"; readonly id: string | undefined }
  | { readonly type: "event"; readonly event: StreamEvent }
  | { readonly type: "other" }

const decodeFrame = Schema.decodeUnknownEither(Schema.parseJson(ServerFrame))
const decodeGreeting = Schema.decodeUnknownEither(ConnectionEstablished)
const decodeError = Schema.decodeUnknownEither(ErrorPayload)
const decodeResume = Schema.decodeUnknownEither(ResumeAck)

/** One text frame, decoded. */
export const decode = (text: string): Inbound | undefined => {
  const decoded = decodeFrame(text)
  if (Either.isLeft(decoded)) return undefined
  const frame = decoded.right
  switch (frame.type) {
    case "connection_established": {
      const payload = decodeGreeting(frame.payload)
      return Either.isRight(payload) ? { type: "connection_established", payload: payload.right } : undefined
    }
    case "ack":
      return { type: "ack", id: frame.id, payload: { result: frame.payload["result"] } }
    case "error": {
      const payload = decodeError(frame.payload)
      return {
        type: "error",
        id: frame.id,
        error: Either.isRight(payload)
          ? new FrameError(payload.right)
          : new FrameError({ code: "INTERNAL", message: "an error frame off the contract" })
      }
    }
    case "pong":
      return { type: "pong", id: frame.id }
    default:
      return frame.seq === undefined ? { type: "other" } : { type: "event", event: frame as StreamEvent }
  }
}

/** A resume ack's result; one off the contract counts as a gap (reload rather than trust it). */
export const decodeResumeResult = (result: unknown): ResumeResult => {
  const decoded = decodeResume(result)
  return Either.isRight(decoded) ? decoded.right : { gap: true }
}
