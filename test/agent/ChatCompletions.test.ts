import type * as LanguageModel from "@effect/ai/LanguageModel"
import * as Prompt from "@effect/ai/Prompt"
import { ResponseStreamEvent } from "@effect/ai-openai/OpenAiClient"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Redacted, Schema, Stream } from "effect"
import * as ModelToolkit from "../../src/agent/ModelToolkit.js"
import * as ChatCompletions from "../../src/agent/openai/ChatCompletions.js"
import { BuiltinTools } from "../../src/agent/tools/index.js"
import { responsesEventObjects } from "../support/FakeOpenAi.js"

const toolkit = ModelToolkit.fromToolkit(BuiltinTools)

const providerOptions = (
  prompt: Prompt.RawInput,
  toolChoice: LanguageModel.ToolChoice<string> = "auto"
): Effect.Effect<LanguageModel.ProviderOptions> =>
  Effect.map(Effect.makeSpan("test"), (span) => ({
    prompt: Prompt.make(prompt),
    tools: Object.values(toolkit.tools),
    toolChoice,
    responseFormat: { type: "text" },
    span
  }))

describe("ChatCompletions.requestBody", () => {
  it.effect("speaks Chat Completions: messages, tool calls and results, tools with their JSON schemas", () =>
    Effect.gen(function*() {
      const body = yield* ChatCompletions.requestBody("m", yield* providerOptions([
        { role: "system", content: "Be brief." },
        { role: "user", content: "what is 17 * 23" },
        {
          role: "assistant",
          content: [{ type: "tool-call", id: "c1", name: "calculator", params: { expression: "17 * 23" } }]
        },
        {
          role: "tool",
          content: [{
            type: "tool-result",
            id: "c1",
            name: "calculator",
            isFailure: false,
            result: { value: 391 },
            providerExecuted: false
          }]
        }
      ]))
      expect(body.stream).toBe(true)
      expect(body.model).toBe("m")
      expect(body.messages).toEqual([
        { role: "system", content: "Be brief." },
        { role: "user", content: "what is 17 * 23" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c1", type: "function", function: { name: "calculator", arguments: "{\"expression\":\"17 * 23\"}" } }]
        },
        { role: "tool", tool_call_id: "c1", content: "{\"value\":391}" }
      ])
      expect(body.tool_choice).toBe("auto")
      const calculator = body.tools?.flatMap((tool) => tool.type === "function" ? [tool.function] : [])
        .find((fn) => fn.name === "calculator")
      expect(calculator?.description).toContain("arithmetic")
      // the tool's own schema, declared once in src/agent/tools
      expect(calculator?.parameters).toEqual({
        type: "object",
        required: ["expression"],
        properties: { expression: expect.objectContaining({ type: "string" }) },
        additionalProperties: false
      })
    }))

  it.effect("maps tool choices", () =>
    Effect.gen(function*() {
      const none = yield* ChatCompletions.requestBody("m", yield* providerOptions("hi", "none"))
      expect(none.tool_choice).toBe("none")
      const one = yield* ChatCompletions.requestBody("m", yield* providerOptions("hi", { tool: "clock" }))
      expect(one.tool_choice).toEqual({ type: "function", function: { name: "clock" } })
    }))
})

// An HttpClient that answers every request with `sse` and records the requests.
const stubClient = (status: number, sse: string) => {
  const seen: Array<{ readonly request: HttpClientRequest.HttpClientRequest; readonly url: string }> = []
  const client = HttpClient.make((request, url) =>
    Effect.sync(() => {
      seen.push({ request, url: url.toString() })
      return HttpClientResponse.fromWeb(request, new Response(sse, { status, headers: { "content-type": "text/event-stream" } }))
    })
  )
  return { seen, client }
}

const answer = [
  `data: ${JSON.stringify({ id: "c", choices: [{ index: 0, delta: { content: "Hi " }, finish_reason: null }] })}\n\n`,
  `data: ${JSON.stringify({ id: "c", choices: [{ index: 0, delta: { content: "there" }, finish_reason: "stop" }] })}\n\n`,
  "data: [DONE]\n\n"
].join("")

describe("ChatCompletions.make", () => {
  const model = (client: HttpClient.HttpClient, apiKey?: string) =>
    ChatCompletions.make({
      baseUrl: "http://model.test/v1/",
      apiKey: apiKey === undefined ? undefined : Redacted.make(apiKey),
      model: "m"
    }).pipe(Effect.provideService(HttpClient.HttpClient, client))

  it.effect("posts to {baseUrl}/chat/completions with the key as a bearer token, and streams the answer", () =>
    Effect.gen(function*() {
      const stub = stubClient(200, answer)
      const lm = yield* model(stub.client, "sk-test")
      const parts = yield* Stream.runCollect(lm.streamText({ prompt: "hello" }))
      const deltas = Chunk.toArray(parts).flatMap((part) => part.type === "text-delta" ? [part.delta] : [])
      expect(deltas.join("")).toBe("Hi there")
      expect(stub.seen[0]!.url).toBe("http://model.test/v1/chat/completions")
      expect(stub.seen[0]!.request.headers["authorization"]).toBe("Bearer sk-test")
    }))

  it.effect("sends no Authorization header without a key; generateText collects the stream", () =>
    Effect.gen(function*() {
      const stub = stubClient(200, answer)
      const lm = yield* model(stub.client)
      const response = yield* lm.generateText({ prompt: "hello" })
      expect(response.text).toBe("Hi there")
      expect(response.finishReason).toBe("stop")
      expect(stub.seen[0]!.request.headers["authorization"]).toBeUndefined()
    }))

  it.effect("fails with HttpResponseError on an error status", () =>
    Effect.gen(function*() {
      const stub = stubClient(503, "{}")
      const lm = yield* model(stub.client)
      const error = yield* Effect.flip(Stream.runDrain(lm.streamText({ prompt: "hello" })))
      expect(error).toMatchObject({ _tag: "HttpResponseError", response: { status: 503 } })
    }))
})

describe("ChatCompletions.modelStream", () => {
  const modelStream = (client: HttpClient.HttpClient) =>
    ChatCompletions.modelStream({ baseUrl: "http://model.test/v1", apiKey: undefined, model: "m" }).pipe(
      Effect.provideService(HttpClient.HttpClient, client)
    )
  const call = { prompt: Prompt.make("hello"), toolkit, toolChoice: "auto" as const }

  it.effect("forEachRead hands over the parts streamText gives, in order, and stops at [DONE]", () =>
    Effect.gen(function*() {
      // anything after [DONE] is not read: a server that keeps the body open must not hold the answer
      const model = yield* modelStream(stubClient(200, answer + "data: {not json}\n\n").client)
      const streamed = Chunk.toArray(yield* Stream.runCollect(model.streamText(call))).map((part) => part.type)
      const read: Array<string> = []
      yield* model.forEachRead!(call, (parts) => Effect.sync(() => read.push(...parts.map((part) => part.type))))
      expect(read).toEqual(streamed)
      expect(read).toEqual(["response-metadata", "text-start", "text-delta", "text-delta", "text-end", "finish"])
    }))

  it.effect("forEachRead: the HTTP client's failures as AiErrors, the reader's own failures as they are", () =>
    Effect.gen(function*() {
      const refused = yield* modelStream(stubClient(503, "{}").client)
      const error = yield* Effect.flip(refused.forEachRead!(call, () => Effect.void))
      expect(error).toMatchObject({ _tag: "HttpResponseError", response: { status: 503 } })
      const model = yield* modelStream(stubClient(200, answer).client)
      const mine = yield* Effect.flip(model.forEachRead!(call, () => Effect.fail("stop here" as const)))
      expect(mine).toBe("stop here")
      const cut = yield* modelStream(stubClient(200, answer.slice(0, answer.indexOf("data: [DONE]")).replace("\"stop\"", "null")).client)
      const malformed = yield* Effect.flip(cut.forEachRead!(call, () => Effect.void))
      expect(malformed).toMatchObject({ _tag: "MalformedOutput" })
    }))
})

describe("ModelToolkit", () => {
  it.effect("runs our tools as the toolkit's handlers; a tool's failure is a result, not an error", () =>
    Effect.gen(function*() {
      const ok = yield* toolkit.handle("calculator", { expression: "17 * 23" })
      expect(ok).toMatchObject({ isFailure: false, result: { value: 391 } })
      const failed = yield* toolkit.handle("calculator", { expression: "1 / 0" })
      expect(failed).toMatchObject({ isFailure: true, encodedResult: { error: "division by zero" } })
    }))
})

describe("the fake server's Responses events", () => {
  // @effect/ai-openai skips events it cannot decode: a wrong fake would pass unnoticed
  it("are events @effect/ai-openai decodes", () => {
    const decode = Schema.decodeUnknownSync(ResponseStreamEvent)
    const replies = [
      { _tag: "Text", chunks: ["Hel", "lo"] },
      { _tag: "ToolCall", id: "c1", name: "calculator", fragments: ["{\"expression\":", "\"1\"}"] },
      { _tag: "Hang", chunks: ["x"] }
    ] as const
    for (const reply of replies) {
      for (const event of responsesEventObjects(reply)) expect(() => decode(event)).not.toThrow()
    }
  })
})
