import { Schema } from "effect"
import {
  AgentCompletedFrame,
  AgentMessageDeltaFrame,
  AgentStartedFrame,
  AgentThinkingFrame,
  ToolCompletedFrame,
  ToolExecutingFrame
} from "./AgentEvents.js"
import { ExtensionEventFrame } from "./ExtensionEvent.js"
import { ConnectionEstablishedFrame, TypingFrame } from "./Notices.js"
import { QualityAlertFrame } from "./Quality.js"
import { AckFrame, ErrorFrame, PongFrame } from "./Replies.js"

/**
 * Every frame type the service sends, by `type`: the schema of the WHOLE
 * frame as it is on the wire (PROTOCOL §3–§7).
 */
export const ServerEvents = {
  connection_established: ConnectionEstablishedFrame,
  ack: AckFrame,
  error: ErrorFrame,
  pong: PongFrame,
  typing: TypingFrame,
  agent_started: AgentStartedFrame,
  agent_thinking: AgentThinkingFrame,
  tool_executing: ToolExecutingFrame,
  tool_completed: ToolCompletedFrame,
  agent_message_delta: AgentMessageDeltaFrame,
  agent_completed: AgentCompletedFrame,
  quality_alert: QualityAlertFrame
} as const

/** A built-in server frame type. */
export type ServerEventType = keyof typeof ServerEvents

/**
 * Any frame the service sends: decode every incoming frame with this. A
 * built-in type is held to its own schema; any other type is an extension
 * event of the user's stream (a legacy backend's, or an embedder's).
 *
 * ```ts
 * const frame = Schema.decodeUnknownSync(ServerEvent)(JSON.parse(text))
 * if (frame.type === "agent_message_delta") process.stdout.write(frame.payload.text)
 * ```
 */
export const ServerEvent = Schema.Union(
  ConnectionEstablishedFrame,
  AckFrame,
  ErrorFrame,
  PongFrame,
  TypingFrame,
  AgentStartedFrame,
  AgentThinkingFrame,
  ToolExecutingFrame,
  ToolCompletedFrame,
  AgentMessageDeltaFrame,
  AgentCompletedFrame,
  QualityAlertFrame,
  ExtensionEventFrame
).annotations({ identifier: "ServerEvent", description: "a frame the service sends" })

/** @see ServerEvent */
export type ServerEvent = typeof ServerEvent.Type

/** The frame of a built-in `type`. */
export type ServerEventOf<T extends ServerEventType> = typeof ServerEvents[T]["Type"]

/** Decodes one parsed JSON value as a server frame. */
export const decodeServerEvent = Schema.decodeUnknownEither(ServerEvent)
