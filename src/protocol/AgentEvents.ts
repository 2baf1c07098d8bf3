import { Schema } from "effect"
import { RunId, runFrame } from "./ServerEnvelope.js"

/**
 * The events of an agent run (PROTOCOL §7), each on the user's stream with
 * its `seq` and, at the top level, its `run_id`: `agent_started` first, then
 * `agent_thinking`, `tool_executing` → `tool_completed` pairs and
 * `agent_message_delta`s, and exactly one `agent_completed` last. A payload
 * may repeat the `run_id` (the service's `agent_started` and
 * `agent_completed` do; a legacy backend's events may, PROTOCOL §4).
 */

const repeatedRunId = { run_id: Schema.optional(RunId) }

/** `agent_started {run_id, thread_id?, agent}` */
export const AgentStarted = Schema.Struct({
  run_id: RunId,
  thread_id: Schema.optional(Schema.String),
  agent: Schema.String
})

/** `agent_thinking {text}` */
export const AgentThinking = Schema.Struct({ ...repeatedRunId, text: Schema.String })

/** `tool_executing {tool_call_id, tool, input}` */
export const ToolExecuting = Schema.Struct({
  ...repeatedRunId,
  tool_call_id: Schema.String,
  tool: Schema.String,
  input: Schema.Unknown
})

/** `tool_completed {tool_call_id, tool, output, ok}` */
export const ToolCompleted = Schema.Struct({
  ...repeatedRunId,
  tool_call_id: Schema.String,
  tool: Schema.String,
  output: Schema.Unknown,
  ok: Schema.Boolean
})

/** `agent_message_delta {text}`: a piece of the answer; their texts concatenated are `response.text`. */
export const AgentMessageDelta = Schema.Struct({ ...repeatedRunId, text: Schema.String })

/** `agent_completed {status: "completed", response: {text}}` */
export const RunCompleted = Schema.Struct({
  ...repeatedRunId,
  status: Schema.Literal("completed"),
  response: Schema.Struct({ text: Schema.String })
})

/** `agent_completed {status: "failed", error: {code, message}}` (`code`: the agent's, e.g. `MODEL_TIMEOUT`, `NODE_LOST`) */
export const RunFailed = Schema.Struct({
  ...repeatedRunId,
  status: Schema.Literal("failed"),
  error: Schema.Struct({ code: Schema.String, message: Schema.String })
})

/** `agent_completed {status: "cancelled"}`: stopped by `stop_agent`, or its user's session ended. */
export const RunCancelled = Schema.Struct({ ...repeatedRunId, status: Schema.Literal("cancelled") })

/** The payload of `agent_completed`, by `status`. */
export const AgentCompleted = Schema.Union(RunCompleted, RunFailed, RunCancelled)

/** @see AgentCompleted */
export type AgentCompleted = typeof AgentCompleted.Type

/** `agent_started` */
export const AgentStartedFrame = runFrame("agent_started", AgentStarted).annotations({
  description: "A run started: the first event of every run."
})

/** `agent_thinking` */
export const AgentThinkingFrame = runFrame("agent_thinking", AgentThinking).annotations({
  description: "The agent is thinking (before each model call)."
})

/** `tool_executing` */
export const ToolExecutingFrame = runFrame("tool_executing", ToolExecuting).annotations({
  description: "The agent calls a tool; its `tool_completed` follows."
})

/** `tool_completed` */
export const ToolCompletedFrame = runFrame("tool_completed", ToolCompleted).annotations({
  description: "A tool call's output (`ok: false` when it failed)."
})

/** `agent_message_delta` */
export const AgentMessageDeltaFrame = runFrame("agent_message_delta", AgentMessageDelta).annotations({
  description: "A piece of the answer; the pieces concatenated are `agent_completed`'s `response.text`."
})

/** `agent_completed` */
export const AgentCompletedFrame = runFrame("agent_completed", AgentCompleted).annotations({
  description: "The last event of every run: `completed` with the response, `failed` with an error, or `cancelled`."
})

/** Every run event's frame, by type (`ServerEvents` holds them with the other built-in frames). */
export const AgentEventFrames = {
  agent_started: AgentStartedFrame,
  agent_thinking: AgentThinkingFrame,
  tool_executing: ToolExecutingFrame,
  tool_completed: ToolCompletedFrame,
  agent_message_delta: AgentMessageDeltaFrame,
  agent_completed: AgentCompletedFrame
} as const
