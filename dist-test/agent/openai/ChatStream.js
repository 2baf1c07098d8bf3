import * as AiError from "@effect/ai/AiError";
import * as AiTool from "@effect/ai/Tool";
import * as Sse from "@effect/experimental/Sse";
import { Effect, Either, ParseResult, Schema, Stream } from "effect";
import { randomUUID } from "node:crypto";
const ToolCallDelta = Schema.Struct({
  index: Schema.optional(Schema.NullOr(Schema.Number)),
  id: Schema.optional(Schema.NullOr(Schema.String)),
  function: Schema.optional(Schema.NullOr(Schema.Struct({
    name: Schema.optional(Schema.NullOr(Schema.String)),
    arguments: Schema.optional(Schema.NullOr(Schema.String))
  })))
});
const Choice = Schema.Struct({
  index: Schema.optional(Schema.NullOr(Schema.Number)),
  delta: Schema.optional(Schema.NullOr(Schema.Struct({
    content: Schema.optional(Schema.NullOr(Schema.String)),
    tool_calls: Schema.optional(Schema.NullOr(Schema.Array(ToolCallDelta)))
  }))),
  finish_reason: Schema.optional(Schema.NullOr(Schema.String))
});
const Usage = Schema.Struct({
  prompt_tokens: Schema.optional(Schema.NullOr(Schema.Number)),
  completion_tokens: Schema.optional(Schema.NullOr(Schema.Number)),
  total_tokens: Schema.optional(Schema.NullOr(Schema.Number))
});
const Chunk = Schema.Struct({
  id: Schema.optional(Schema.NullOr(Schema.String)),
  model: Schema.optional(Schema.NullOr(Schema.String)),
  created: Schema.optional(Schema.NullOr(Schema.Number)),
  choices: Schema.optional(Schema.NullOr(Schema.Array(Choice))),
  usage: Schema.optional(Schema.NullOr(Usage)),
  error: Schema.optional(Schema.Unknown)
});
const decodeChunk = Schema.decodeUnknownEither(Schema.parseJson(Chunk));
const DONE = "[DONE]";
const malformed = (description, cause) => new AiError.MalformedOutput({
  module: "ChatCompletions",
  method: "streamText",
  description,
  ...cause === void 0 ? {} : { cause }
});
const finishReasonOf = (reason, hasToolCalls) => {
  if (hasToolCalls) return "tool-calls";
  switch (reason) {
    case "stop":
      return "stop";
    case "length":
      return "length";
    case "content_filter":
      return "content-filter";
    case "tool_calls":
    case "function_call":
      return "tool-calls";
    default:
      return "other";
  }
};
class Decoder {
  constructor(newId = () => `call_${randomUUID()}`) {
    this.newId = newId;
  }
  newId;
  textId;
  calls = /* @__PURE__ */ new Map();
  metadataSent = false;
  finished = false;
  /** The parts of one event (`data` and the SSE event name); `[DONE]` finishes the answer. */
  event(data, eventName = "message") {
    if (this.finished) return Either.right([]);
    if (data.trim() === DONE) return this.finish("stop");
    const decoded = decodeChunk(data);
    if (Either.isLeft(decoded)) {
      return Either.left(malformed(
        `not a chat completion chunk: ${ParseResult.TreeFormatter.formatErrorSync(decoded.left)}`,
        decoded.left
      ));
    }
    const chunk = decoded.right;
    if (eventName === "error" || chunk.error !== void 0 && chunk.error !== null) {
      this.finished = true;
      return Either.right([{ type: "error", error: chunk.error ?? chunk }]);
    }
    const parts2 = [];
    if (!this.metadataSent) {
      this.metadataSent = true;
      parts2.push({
        type: "response-metadata",
        id: chunk.id ?? void 0,
        modelId: chunk.model ?? void 0,
        timestamp: typeof chunk.created === "number" ? new Date(chunk.created * 1e3).toISOString() : void 0
      });
    }
    const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
    if (choice === void 0) return Either.right(parts2);
    const content = choice.delta?.content;
    if (typeof content === "string" && content.length > 0) {
      if (this.textId === void 0) {
        this.textId = chunk.id ?? "text";
        parts2.push({ type: "text-start", id: this.textId });
      }
      parts2.push({ type: "text-delta", id: this.textId, delta: content });
    }
    for (const [position, fragment] of (choice.delta?.tool_calls ?? []).entries()) {
      this.toolCallFragment(fragment.index ?? position, fragment, parts2);
    }
    if (typeof choice.finish_reason === "string" && choice.finish_reason.length > 0) {
      const finished = this.finish(choice.finish_reason);
      return Either.map(finished, (rest) => [...parts2, ...rest]);
    }
    return Either.right(parts2);
  }
  /** The parts due when the body ends; fails when the model had not finished. */
  end() {
    return this.finished ? Either.right([]) : Either.left(malformed("the stream ended before the model finished its answer"));
  }
  toolCallFragment(index, fragment, parts2) {
    let call = this.calls.get(index);
    if (call === void 0) {
      call = { id: void 0, name: void 0, arguments: "", started: false };
      this.calls.set(index, call);
    }
    if (typeof fragment.id === "string" && fragment.id.length > 0 && call.id === void 0) call.id = fragment.id;
    const name = fragment.function?.name;
    if (typeof name === "string" && name.length > 0 && call.name === void 0) call.name = name;
    if (!call.started && call.name !== void 0) {
      call.id ??= this.newId();
      call.started = true;
      parts2.push({ type: "tool-params-start", id: call.id, name: call.name });
    }
    const args = fragment.function?.arguments;
    if (typeof args === "string" && args.length > 0) {
      call.arguments += args;
      if (call.started && call.id !== void 0) parts2.push({ type: "tool-params-delta", id: call.id, delta: args });
    }
  }
  finish(reason) {
    this.finished = true;
    const parts2 = [];
    if (this.textId !== void 0) parts2.push({ type: "text-end", id: this.textId });
    const calls = Array.from(this.calls.entries()).sort(([a], [b]) => a - b).map(([, call]) => call);
    for (const call of calls) {
      if (call.name === void 0) return Either.left(malformed("a streamed tool call has no function name"));
      const id = call.id ?? this.newId();
      if (!call.started) parts2.push({ type: "tool-params-start", id, name: call.name });
      parts2.push({ type: "tool-params-end", id });
      let params;
      try {
        params = AiTool.unsafeSecureJsonParse(call.arguments.trim().length === 0 ? "{}" : call.arguments);
      } catch (cause) {
        return Either.left(malformed(`the arguments of the tool call "${call.name}" are not JSON: ${call.arguments}`, cause));
      }
      parts2.push({ type: "tool-call", id, name: call.name, params });
    }
    parts2.push({
      type: "finish",
      reason: finishReasonOf(reason, calls.length > 0),
      usage: { inputTokens: void 0, outputTokens: void 0, totalTokens: void 0 }
    });
    return Either.right(parts2);
  }
}
const events = (text) => Stream.suspend(() => {
  const parsed = [];
  const parser = Sse.makeParser((event) => {
    if (event._tag === "Event") parsed.push(event);
  });
  return Stream.mapConcatEffect(text, (chunk) => {
    const error = parser.feed(chunk);
    return error === void 0 ? Effect.succeed(parsed.splice(0)) : Effect.fail(malformed(`bad server-sent event: ${error.message}`, error));
  });
});
const parts = (bytes, newId) => Stream.suspend(() => {
  const decoder = new Decoder(newId);
  return events(Stream.decodeText(bytes)).pipe(
    Stream.takeUntil((event) => event.data.trim() === DONE),
    Stream.mapConcatEffect((event) => decoder.event(event.data, event.event)),
    Stream.concat(Stream.suspend(() => Stream.fromIterableEffect(decoder.end())))
  );
});
export {
  Chunk,
  DONE,
  Decoder,
  events,
  parts
};
//# sourceMappingURL=ChatStream.js.map
