import { AgentEventFrames } from "./AgentEvents.js"
import { ConnectionEstablishedFrame, TypingFrame } from "./Notices.js"
import { QualityAlertFrame } from "./Quality.js"
import { AckFrame, ErrorFrame, PongFrame } from "./Replies.js"

/**
 * Every frame type the service sends, by `type`: the schema of the WHOLE
 * frame as it is on the wire (docs/protocol.md sections 3–7), its one-line
 * summary its `description` annotation. The one list of the built-in types:
 * the `ServerEvent` union, the types an extension event may not take and the
 * AsyncAPI document's messages are all read off it.
 */
export const ServerEvents = {
  connection_established: ConnectionEstablishedFrame,
  ack: AckFrame,
  error: ErrorFrame,
  pong: PongFrame,
  typing: TypingFrame,
  ...AgentEventFrames,
  quality_alert: QualityAlertFrame
} as const

/** A built-in server frame type. */
export type ServerEventType = keyof typeof ServerEvents

/** Every `type` the service itself sends. */
export const BUILTIN_SERVER_TYPES = Object.keys(ServerEvents) as ReadonlyArray<ServerEventType>
