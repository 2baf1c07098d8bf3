import { Duration, Effect, Either, Layer, Stream } from "effect";
import { SwitchyardConfig } from "../Config.js";
import { Agent, AgentError } from "./Agent.js";
import { CalculatorTool, extractExpression } from "./tools/Calculator.js";
import { ClockTool, extractTimezone, mentionsTime } from "./tools/Clock.js";
const BUILTIN_AGENT_NAME = "builtin";
const layer = Layer.effect(
  Agent,
  Effect.map(SwitchyardConfig, (config) => ({
    defaultName: BUILTIN_AGENT_NAME,
    run: (request) => run(request, stepMs(request.params, config.agentStepMs))
  }))
);
const stepMs = (params, fallback) => {
  const value = params["step_ms"];
  return typeof value === "number" && Number.isFinite(value) ? Math.min(Math.max(0, value), 5e3) : fallback;
};
const run = (request, stepMs2) => {
  const thinking = (text) => ({ _tag: "Thinking", text });
  const body = planOf(request);
  const events = Stream.concat(Stream.make(thinking(`Reading: "${preview(request.text)}"`)), body);
  return stepMs2 > 0 ? Stream.tap(events, () => Effect.sleep(Duration.millis(stepMs2))) : events;
};
const planOf = (request) => {
  const failWith = request.params["fail_with"];
  if (typeof failWith === "string" && failWith.length > 0) {
    return Stream.concat(
      Stream.make({ _tag: "Thinking", text: `Failing on purpose with ${failWith}.` }),
      Stream.fail(new AgentError({ code: failWith, message: "the run was asked to fail (params.fail_with)" }))
    );
  }
  const expression = extractExpression(request.text);
  if (expression !== void 0) {
    return withTool(
      CalculatorTool,
      { expression },
      `${request.runId}-calc`,
      "This is arithmetic: I will use the calculator.",
      (output) => {
        const { value } = output;
        return `${expression} = ${formatNumber(value)}`;
      }
    );
  }
  if (mentionsTime(request.text)) {
    const timezone = extractTimezone(request.text);
    return withTool(
      ClockTool,
      timezone === void 0 ? {} : { timezone },
      `${request.runId}-clock`,
      "You asked about the time: I will check the clock.",
      (output) => {
        const { text, timezone: timezone2 } = output;
        return `It is ${text} (${timezone2}).`;
      }
    );
  }
  return answer(
    request.text.trim().length === 0 ? 'Hello! I am the built-in Switchyard agent. Ask me to calculate something, like "what is 17 * 23", or for the time.' : `You said: "${preview(request.text)}". I am the built-in Switchyard agent: I can calculate (try "what is 17 * 23") and tell the time.`
  );
};
const withTool = (tool, input, toolCallId, why, answerOf) => Stream.concat(
  Stream.make(
    { _tag: "Thinking", text: why },
    { _tag: "ToolExecuting", toolCallId, tool: tool.name, input }
  ),
  Stream.flatMap(Stream.fromEffect(Effect.either(tool.runUnknown(input))), (result) => Either.match(result, {
    onLeft: (error) => Stream.concat(
      Stream.make({
        _tag: "ToolCompleted",
        toolCallId,
        tool: tool.name,
        output: { error: error.message },
        ok: false
      }),
      answer(`I could not use the ${tool.name}: ${error.message}`)
    ),
    onRight: (output) => Stream.concat(
      Stream.make({ _tag: "ToolCompleted", toolCallId, tool: tool.name, output, ok: true }),
      answer(answerOf(output))
    )
  }))
);
const answer = (text) => Stream.fromIterable(chunks(text).map((chunk) => ({ _tag: "MessageDelta", text: chunk })));
const chunks = (text, wordsPerChunk = 4) => {
  const words = text.match(/\S+\s*/g) ?? [text];
  const out = [];
  for (let i = 0; i < words.length; i += wordsPerChunk) out.push(words.slice(i, i + wordsPerChunk).join(""));
  const leading = text.match(/^\s*/)?.[0] ?? "";
  if (leading.length > 0 && out.length > 0) out[0] = leading + out[0];
  return out.length === 0 ? [text] : out;
};
const formatNumber = (value) => Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(12)));
const preview = (text) => {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine;
};
export {
  BUILTIN_AGENT_NAME,
  chunks,
  layer,
  run
};
//# sourceMappingURL=BuiltinAgent.js.map
