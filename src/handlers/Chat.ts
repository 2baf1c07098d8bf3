import { Context, Effect, Either } from "effect"
import { Agent, type AgentRequest } from "../agent/Agent.js"
import type { RunLimitExceeded } from "../agent/RunLimits.js"
import type { RunOwnerUnreachable } from "../store/RunLeases.js"
import { Lifecycle } from "../state/Lifecycle.js"
import { toFrameError } from "../protocol/DecodeFailure.js"
import { FrameError } from "../protocol/FrameError.js"
import { ClientRequests } from "../protocol/ClientRequests.js"
import { CurrentFrame } from "./FrameContext.js"
import * as Handler from "./Handler.js"
import { Runs } from "../agent/Runs.js"
import type { Conversations } from "../state/Conversations.js"
import { Emitter } from "../state/Emitter.js"

/**
 * Starts a run of the `Agent` for the current user and answers `{run_id}`;
 * the run's events go to the frame's `Emitter` and follow the frame's ack.
 * Refused while the node drains, for `params` the agent rejects, and over the
 * user's run limits. For handlers of your own that start runs.
 */
export const startRun = (
  request: Omit<AgentRequest, "runId" | "userId">
): Effect.Effect<{ readonly run_id: string }, FrameError, Lifecycle | Runs | Agent | Emitter | Conversations> =>
  // one context read instead of a generator step per service: this is every run's start
  Effect.flatMap(CurrentFrame, (frame) => Effect.contextWithEffect((context: Context.Context<Lifecycle | Runs | Agent | Emitter>) => {
    if (Context.get(context, Lifecycle).draining) {
      return Effect.fail(new FrameError({ code: "UNAVAILABLE", message: "the server is draining: reconnect and retry" }))
    }
    const agent = Context.get(context, Agent)
    // the agent's own bounds on `params`: refused here, with the field, before a run exists
    const checked = agent.decodeParams?.(request.params)
    if (checked !== undefined && Either.isLeft(checked)) {
      return Effect.fail(toFrameError(checked.left, ["payload", "params"]))
    }
    return Effect.mapBoth(
      Context.get(context, Runs).start({
        request,
        agent,
        emit: Context.get(context, Emitter).emit,
        replied: frame.replied
      }),
      { onFailure: rateLimited, onSuccess: (runId) => ({ run_id: runId }) }
    )
  }))

// cluster mode: the run's node did not answer in time (if it died, the run ends `NODE_LOST` once its lease expired)
const ownerUnreachable = (error: RunOwnerUnreachable): FrameError =>
  new FrameError({ code: "UNAVAILABLE", message: `${error.message}: retry, or wait for the run to end` })

// over the user's run limits (PROTOCOL §10): the client may retry after `retry_after_ms`
const rateLimited = (error: RunLimitExceeded): FrameError =>
  new FrameError({
    code: "RATE_LIMITED",
    message: error.message,
    details: { retry_after_ms: error.retryAfterMs, limit: error.reason === "PerMinute" ? "runs_per_minute" : "runs_at_once" }
  })

/** `user_message {text, thread_id?}` → `{run_id}`: the chat turn that starts an agent run. */
export const userMessage = Handler.make("user_message", {
  ...ClientRequests.user_message,
  handle: ({ text, thread_id }) => startRun({ text, threadId: thread_id, agent: undefined, params: {} })
})

/** `start_agent` / `agent_request {text?, agent?, params?, thread_id?}` → `{run_id}`. */
export const startAgent = Handler.make("start_agent", {
  ...ClientRequests.start_agent,
  aliases: ["agent_request"],
  handle: ({ agent, params, text, thread_id }) =>
    startRun({ text: text ?? "", threadId: thread_id, agent, params: params ?? {} })
})

/** `stop_agent {run_id}` → `{run_id, stopped}`; only the user's own runs are found. */
export const stopAgent = Handler.make("stop_agent", {
  ...ClientRequests.stop_agent,
  handle: ({ run_id }) =>
    Effect.gen(function*() {
      const runs = yield* Runs
      const frame = yield* CurrentFrame
      const outcome = yield* Effect.mapError(runs.stop(run_id, frame.replied), ownerUnreachable)
      if (outcome._tag === "NotFound") return yield* FrameError.notFound(`no run "${run_id}"`)
      return { run_id, stopped: outcome.stopped }
    })
})
