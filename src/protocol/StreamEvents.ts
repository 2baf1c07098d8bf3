import { Schema } from "effect"
import {
  AgentCompletedFrame,
  AgentMessageDeltaFrame,
  AgentStartedFrame,
  AgentThinkingFrame,
  ToolCompletedFrame,
  ToolExecutingFrame
} from "./AgentEvents.js"
import { ExtensionEvent } from "./ExtensionEvent.js"
import { QualityAlertFrame } from "./Quality.js"

/**
 * An event of the user's stream as it is emitted (PROTOCOL §6): its frame
 * without `seq` and `ts`, which the stream gives it. Everything that reaches
 * the stream is one of these — the emitters (`Emitter`, `Runs`, the stream's
 * `publish`) take nothing else, so an off-contract event does not compile,
 * and a legacy backend's events are decoded with this schema before they
 * are emitted.
 */
export const StreamEvent = Schema.Union(
  AgentStartedFrame.omit("seq", "ts"),
  AgentThinkingFrame.omit("seq", "ts"),
  ToolExecutingFrame.omit("seq", "ts"),
  ToolCompletedFrame.omit("seq", "ts"),
  AgentMessageDeltaFrame.omit("seq", "ts"),
  AgentCompletedFrame.omit("seq", "ts"),
  QualityAlertFrame.omit("seq", "ts"),
  ExtensionEvent
)

/**
 * @see StreamEvent
 *
 * Events are written as they are held, with no encoding step (`ServerFrame`'s
 * builders `JSON.stringify` them): their schemas have no transformations, so a
 * held event is its own encoded form. The assertion below keeps it so.
 */
export type StreamEvent = typeof StreamEvent.Type

const heldIsEncoded: [StreamEvent] extends [typeof StreamEvent.Encoded] ? true : never = true
void heldIsEncoded

/** A built-in event (not an extension event) of `type`. */
export type StreamEventOf<T extends StreamEvent["type"]> = Extract<StreamEvent, { readonly type: T }>

/** The event's `run_id`, if it has one (agent events always do; `quality_alert` never does). */
export const runIdOf = (event: StreamEvent): string | undefined =>
  (event as { readonly run_id?: string | undefined }).run_id
