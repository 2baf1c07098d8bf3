import * as AiError from "@effect/ai/AiError";
import * as LanguageModel from "@effect/ai/LanguageModel";
import * as AiTool from "@effect/ai/Tool";
import * as HttpClient from "@effect/platform/HttpClient";
import * as HttpClientRequest from "@effect/platform/HttpClientRequest";
import { Effect, Layer, Stream } from "effect";
import * as ChatStream from "./ChatStream.js";
const malformedInput = (description) => new AiError.MalformedInput({ module: "ChatCompletions", method: "streamText", description });
const messagesOf = (prompt) => Effect.suspend(() => {
  const messages = [];
  for (const message of prompt.content) {
    switch (message.role) {
      case "system":
        messages.push({ role: "system", content: message.content });
        break;
      case "user": {
        const texts = [];
        for (const part of message.content) {
          if (part.type !== "text") return Effect.fail(malformedInput("only text can be sent to the model"));
          texts.push(part.text);
        }
        messages.push({ role: "user", content: texts.join("") });
        break;
      }
      case "assistant": {
        let text = "";
        const toolCalls = [];
        for (const part of message.content) {
          if (part.type === "text") text += part.text;
          else if (part.type === "tool-call" && !part.providerExecuted) {
            toolCalls.push({
              id: part.id,
              type: "function",
              function: { name: part.name, arguments: JSON.stringify(part.params) }
            });
          }
        }
        messages.push(
          toolCalls.length === 0 ? { role: "assistant", content: text } : { role: "assistant", content: text.length > 0 ? text : null, tool_calls: toolCalls }
        );
        break;
      }
      case "tool":
        for (const part of message.content) {
          messages.push({ role: "tool", tool_call_id: part.id, content: JSON.stringify(part.result) });
        }
        break;
    }
  }
  return Effect.succeed(messages);
});
const requestBody = (model, options) => Effect.gen(function* () {
  const messages = yield* messagesOf(options.prompt);
  const [first, ...rest] = messages;
  if (first === void 0) return yield* malformedInput("the prompt is empty");
  const tools = [];
  for (const tool of options.tools) {
    if (!AiTool.isUserDefined(tool)) {
      return yield* malformedInput(`the provider-defined tool "${tool.name}" needs the Responses API`);
    }
    const description = tool.description ?? AiTool.getDescriptionFromSchemaAst(tool.parametersSchema.ast);
    tools.push({
      type: "function",
      function: {
        name: tool.name,
        parameters: { ...AiTool.getJsonSchemaFromSchemaAst(tool.parametersSchema.ast) },
        ...description === void 0 ? {} : { description }
      }
    });
  }
  const body = {
    model,
    messages: [first, ...rest],
    stream: true,
    // servers reject `tool_choice` without tools
    ...tools.length === 0 ? {} : { tools, tool_choice: toolChoiceOf(options.toolChoice) }
  };
  if (options.responseFormat.type === "json") {
    return {
      ...body,
      response_format: {
        type: "json_schema",
        json_schema: {
          name: options.responseFormat.objectName,
          schema: { ...AiTool.getJsonSchemaFromSchemaAst(options.responseFormat.schema.ast) }
        }
      }
    };
  }
  return body;
});
const toolChoiceOf = (choice) => {
  if (typeof choice === "string") return choice;
  if ("oneOf" in choice) return choice.mode ?? "auto";
  return { type: "function", function: { name: choice.tool } };
};
const collect = (parts) => {
  const out = [];
  const texts = /* @__PURE__ */ new Map();
  for (const part of parts) {
    switch (part.type) {
      case "text-start": {
        const text = { text: "" };
        texts.set(part.id, text);
        out.push({ type: "text", text: "" });
        break;
      }
      case "text-delta": {
        const text = texts.get(part.id);
        if (text !== void 0) text.text += part.delta;
        break;
      }
      case "response-metadata":
      case "tool-call":
      case "finish":
        out.push(part);
        break;
      default:
        break;
    }
  }
  const filled = [...texts.values()];
  let next = 0;
  return out.map((part) => part.type === "text" ? { type: "text", text: filled[next++].text } : part);
};
const make = (options) => Effect.gen(function* () {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const client = (yield* HttpClient.HttpClient).pipe(
    HttpClient.mapRequest((request) => {
      const withUrl = HttpClientRequest.prependUrl(request, baseUrl);
      return options.apiKey === void 0 ? withUrl : HttpClientRequest.bearerToken(withUrl, options.apiKey);
    }),
    HttpClient.filterStatusOk
  );
  const streamText = (providerOptions) => Effect.gen(function* () {
    const body = yield* requestBody(options.model, providerOptions);
    const request = HttpClientRequest.post("/chat/completions").pipe(
      HttpClientRequest.accept("text/event-stream"),
      HttpClientRequest.bodyUnsafeJson(body)
    );
    const response = yield* client.execute(request);
    return ChatStream.parts(response.stream);
  }).pipe(
    Stream.unwrap,
    Stream.catchTags({
      RequestError: (error) => Stream.fail(AiError.HttpRequestError.fromRequestError({ module: "ChatCompletions", method: "streamText", error })),
      ResponseError: (error) => Stream.fromEffect(
        AiError.HttpResponseError.fromResponseError({ module: "ChatCompletions", method: "streamText", error })
      )
    })
  );
  return yield* LanguageModel.make({
    streamText,
    generateText: (providerOptions) => Effect.map(Stream.runCollect(streamText(providerOptions)), (chunk) => collect([...chunk]))
  });
});
const layer = (options) => Layer.effect(LanguageModel.LanguageModel, make(options));
export {
  layer,
  make,
  messagesOf,
  requestBody
};
//# sourceMappingURL=ChatCompletions.js.map
