import { Effect } from "effect";
import { Agent } from "../agent/Agent.js";
import { Lifecycle } from "../Lifecycle.js";
import { FrameError } from "../protocol/FrameError.js";
import { StartAgent, StopAgent, UserMessage } from "../protocol/Payloads.js";
import { CurrentFrame } from "../router/FrameContext.js";
import * as Handler from "../router/Handler.js";
import { Emitter } from "../session/Emitter.js";
import { UserContext } from "../session/UserContext.js";
const startRun = (request) => Effect.gen(function* () {
  const lifecycle = yield* Lifecycle;
  if (lifecycle.draining) {
    return yield* new FrameError({ code: "UNAVAILABLE", message: "the server is draining: reconnect and retry" });
  }
  const session = yield* UserContext;
  const agent = yield* Agent;
  const emitter = yield* Emitter;
  const frame = yield* CurrentFrame;
  const runId = yield* session.runs.start({ request, agent, emit: emitter.emit, replied: frame.replied });
  return { run_id: runId };
});
const userMessage = Handler.make("user_message", {
  payload: UserMessage,
  handle: ({ text, thread_id }) => startRun({ text, threadId: thread_id, agent: void 0, params: {} })
});
const startAgent = Handler.make("start_agent", {
  payload: StartAgent,
  aliases: ["agent_request"],
  handle: ({ agent, params, text, thread_id }) => startRun({ text: text ?? "", threadId: thread_id, agent, params: params ?? {} })
});
const stopAgent = Handler.make("stop_agent", {
  payload: StopAgent,
  handle: ({ run_id }) => Effect.gen(function* () {
    const session = yield* UserContext;
    const frame = yield* CurrentFrame;
    const outcome = yield* session.runs.stop(run_id, frame.replied);
    if (outcome._tag === "NotFound") return yield* FrameError.notFound(`no run "${run_id}"`);
    return { run_id, stopped: outcome.stopped };
  })
});
export {
  startAgent,
  stopAgent,
  userMessage
};
//# sourceMappingURL=Chat.js.map
