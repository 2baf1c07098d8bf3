import * as LanguageModel from "@effect/ai/LanguageModel";
import * as Prompt from "@effect/ai/Prompt";
import { Duration, Effect, Either, Layer, Mailbox, Option, Schedule, Stream } from "effect";
import { UserContext } from "../session/UserContext.js";
import { Agent } from "./Agent.js";
import * as ModelFailure from "./ModelFailure.js";
import * as ModelToolkit from "./ModelToolkit.js";
const layer = (options) => Layer.effect(Agent, make(options));
const make = (options) => Effect.map(LanguageModel.LanguageModel, (model) => {
  const run = runner(model, options);
  return {
    defaultName: options.name,
    run: (request) => (
      // `Agent.run` needs no services, so every agent fits it; the run's fiber
      // is forked from the frame's handler, which has the user's session.
      Stream.unwrap(Effect.map(Effect.serviceOption(UserContext), (session) => run(request, Option.map(session, (s) => s.conversations))))
    )
  };
});
const runner = (model, options) => {
  const toolkit = ModelToolkit.fromToolkit(options.tools);
  const retryPolicy = Schedule.exponential(Duration.millis(options.retryBaseMs)).pipe(Schedule.jittered);
  const ask = (prompt, last, emit) => Effect.suspend(() => {
    let shown = false;
    const attempt = Effect.suspend(() => {
      let text = "";
      let finished = false;
      const toolCalls = [];
      return model.streamText({
        prompt,
        toolkit,
        // the last step must answer: it may not ask for more tools
        toolChoice: last ? "none" : "auto",
        // the loop runs tools itself, to report each call as it happens
        disableToolCallResolution: true
      }).pipe(
        Stream.tapError((error) => Effect.logWarning("model call failed", error)),
        Stream.mapError(ModelFailure.fromAiError),
        Stream.timeoutFail(
          () => ModelFailure.make("MODEL_TIMEOUT", `the model server sent nothing for ${options.timeoutMs} ms`),
          Duration.millis(options.timeoutMs)
        ),
        Stream.runForEach((part) => {
          switch (part.type) {
            case "text-delta":
              if (part.delta.length === 0) return Effect.void;
              shown = true;
              text += part.delta;
              return emit({ _tag: "MessageDelta", text: part.delta });
            case "tool-call":
              toolCalls.push({ id: part.id, name: part.name, params: part.params });
              return Effect.void;
            case "finish":
              finished = true;
              return Effect.void;
            case "error":
              return Effect.fail(ModelFailure.make("MODEL_ERROR", `the model server reported: ${describe(part.error)}`));
            default:
              return Effect.void;
          }
        }),
        Effect.flatMap(
          () => finished ? Effect.succeed({ text, toolCalls }) : ModelFailure.make("MODEL_BAD_STREAM", "the model server's stream ended before the model finished")
        )
      );
    });
    return Effect.retry(attempt, {
      schedule: retryPolicy,
      times: options.maxRetries,
      while: (error) => !shown && ModelFailure.isRetryable(error)
    });
  });
  const runTool = (call, emit) => Effect.gen(function* () {
    yield* emit({ _tag: "ToolExecuting", toolCallId: call.id, tool: call.name, input: call.params });
    const result = yield* Effect.either(options.tools.runUnknown(call.name, call.params));
    if (Either.isLeft(result)) {
      const message = result.left.message;
      yield* emit({ _tag: "ToolCompleted", toolCallId: call.id, tool: call.name, output: { error: message }, ok: false });
      return yield* ModelFailure.make("TOOL_FAILED", `the tool "${call.name}" failed: ${message}`);
    }
    yield* emit({ _tag: "ToolCompleted", toolCallId: call.id, tool: call.name, output: result.right, ok: true });
    return result.right;
  });
  const conversation = (request, memory, emit) => Effect.gen(function* () {
    const threadId = request.threadId;
    const thread = threadId === void 0 ? Option.none() : Option.map(memory, (m) => ({ memory: m, threadId }));
    const history = Option.isSome(thread) ? yield* thread.value.memory.history(thread.value.threadId) : [];
    let prompt = Prompt.make([
      ...options.systemPrompt.length > 0 ? [{ role: "system", content: options.systemPrompt }] : [],
      ...history.flatMap((turn) => [
        { role: "user", content: turn.user },
        { role: "assistant", content: turn.assistant }
      ]),
      { role: "user", content: request.text }
    ]);
    let answer = "";
    for (let step = 1; ; step++) {
      const last = step >= options.maxSteps;
      yield* emit({
        _tag: "Thinking",
        text: step === 1 ? `Asking ${options.model}.` : `Asking ${options.model} again with the tool results (step ${step} of at most ${options.maxSteps}).`
      });
      const reply = yield* ask(prompt, last, emit);
      answer += reply.text;
      if (reply.toolCalls.length === 0) break;
      if (last) {
        return yield* ModelFailure.make(
          "MODEL_MAX_STEPS",
          `the model still asked for tools after ${options.maxSteps} model calls (AGENT_MAX_STEPS)`
        );
      }
      const outputs = yield* Effect.forEach(reply.toolCalls, (call) => runTool(call, emit));
      prompt = Prompt.merge(prompt, [
        {
          role: "assistant",
          content: [
            ...reply.text.length > 0 ? [{ type: "text", text: reply.text }] : [],
            ...reply.toolCalls.map((call) => ({ type: "tool-call", ...call, providerExecuted: false }))
          ]
        },
        {
          role: "tool",
          content: reply.toolCalls.map((call, i) => ({
            type: "tool-result",
            id: call.id,
            name: call.name,
            isFailure: false,
            result: outputs[i],
            providerExecuted: false
          }))
        }
      ]);
    }
    if (Option.isSome(thread)) {
      yield* thread.value.memory.record(thread.value.threadId, { user: request.text, assistant: answer });
    }
  });
  return (request, memory) => Effect.gen(function* () {
    const mailbox = yield* Mailbox.make(16);
    const emit = (event) => Effect.asVoid(mailbox.offer(event));
    yield* conversation(request, memory, emit).pipe(
      Effect.withSpan("ModelAgent.run", { attributes: { "agent.model": options.model } }),
      Mailbox.into(mailbox),
      Effect.forkScoped
    );
    return Mailbox.toStream(mailbox);
  }).pipe(Stream.unwrapScoped);
};
const describe = (error) => findMessage(error) ?? JSON.stringify(error) ?? String(error);
const findMessage = (value) => {
  if (typeof value !== "object" || value === null) return void 0;
  if ("message" in value && typeof value.message === "string") return value.message;
  if ("error" in value) return findMessage(value.error);
  return void 0;
};
export {
  layer,
  make,
  runner
};
//# sourceMappingURL=ModelAgent.js.map
