import { Schema } from "effect"
import { Count, noticeFrame } from "./ServerEnvelope.js"

/**
 * The frames outside the user's stream that answer nothing: the greeting
 * and the `typing` relay (PROTOCOL §4). No `seq`, no history.
 */

/**
 * The payload of `connection_established`: `last_seq` and `epoch` say where
 * the user's stream is, so a client knows what to resume from.
 */
export const ConnectionEstablished = Schema.Struct({
  connection_id: Schema.String,
  user_id: Schema.String,
  last_seq: Count,
  epoch: Schema.String,
  heartbeat_ms: Schema.Number,
  server: Schema.Struct({ version: Schema.String, node_id: Schema.String })
})

/** A `connection_established` payload. */
export type ConnectionEstablished = typeof ConnectionEstablished.Type

/** `connection_established`: the first frame of every connection. */
export const ConnectionEstablishedFrame = noticeFrame("connection_established", ConnectionEstablished).annotations({
  description: "The first frame of every connection: who the user is and where their stream is (`last_seq`, `epoch`)."
})

/** @see ConnectionEstablishedFrame */
export type ConnectionEstablishedFrame = typeof ConnectionEstablishedFrame.Type

/** The payload of the `typing` relay: the sender's state and its connection id. */
export const TypingNotice = Schema.Struct({
  is_typing: Schema.Boolean,
  thread_id: Schema.optional(Schema.String),
  connection_id: Schema.String
})

/** `typing`, relayed to the user's OTHER connections. */
export const TypingFrame = noticeFrame("typing", TypingNotice).annotations({
  description: "Another connection of the same user is typing (no `seq`: not part of the stream)."
})

/** @see TypingFrame */
export type TypingFrame = typeof TypingFrame.Type

/** A notice as the service writes it: its frame's Encoded type without `ts` (`ServerFrame.notice` takes only these). */
export type Notice =
  | Omit<typeof ConnectionEstablishedFrame.Encoded, "ts">
  | Omit<typeof TypingFrame.Encoded, "ts">

/** A notice relayed between a user's connections (`CurrentStream.signal`). */
export type Signal = Extract<Notice, { readonly type: "typing" }>
