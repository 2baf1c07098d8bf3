/**
 * A client of the OpenAI Chat Completions API (`POST {baseUrl}/chat/completions`
 * with `stream: true`), the API that self-hosted servers (vLLM, llama.cpp,
 * Ollama, LM Studio, ...) speak: the model agent's `ModelStream`, and an
 * `@effect/ai` `LanguageModel` for any other use. `@effect/ai-openai`'s own
 * language model speaks the Responses API instead.
 * Import as a namespace: `import * as ChatCompletions from "./ChatCompletions.js"`.
 */
import * as AiError from "@effect/ai/AiError"
import * as LanguageModel from "@effect/ai/LanguageModel"
import type * as Prompt from "@effect/ai/Prompt"
import type * as Response from "@effect/ai/Response"
import * as AiTool from "@effect/ai/Tool"
import type * as Generated from "@effect/ai-openai/Generated"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Channel, Chunk, Effect, Layer, type Redacted, Stream } from "effect"
import { type ModelCall, ModelStream } from "../ModelStream.js"
import * as ChatStream from "./ChatStream.js"
import * as NodeBody from "./NodeBody.js"
import * as UndiciClient from "./UndiciClient.js"

/** Where the model is and which one to ask. */
export interface Options {
  /** e.g. `https://api.openai.com/v1` or `http://localhost:11434/v1` */
  readonly baseUrl: string
  /** sent as `Authorization: Bearer`; local servers usually need none */
  readonly apiKey: Redacted.Redacted | undefined
  readonly model: string
}

type RequestBody = typeof Generated.CreateChatCompletionRequest.Encoded
type Message = typeof Generated.ChatCompletionRequestMessage.Encoded
type ToolCall = typeof Generated.ChatCompletionMessageToolCall.Encoded

const malformedInput = (description: string): AiError.MalformedInput =>
  new AiError.MalformedInput({ module: "ChatCompletions", method: "streamText", description })

/** The prompt as Chat Completions messages. */
export const messagesOf = (prompt: Prompt.Prompt): Effect.Effect<Array<Message>, AiError.MalformedInput> =>
  Effect.suspend(() => {
    const messages: Array<Message> = []
    for (const message of prompt.content) {
      switch (message.role) {
        case "system":
          messages.push({ role: "system", content: message.content })
          break
        case "user": {
          const texts: Array<string> = []
          for (const part of message.content) {
            if (part.type !== "text") return Effect.fail(malformedInput("only text can be sent to the model"))
            texts.push(part.text)
          }
          messages.push({ role: "user", content: texts.join("") })
          break
        }
        case "assistant": {
          let text = ""
          const toolCalls: Array<ToolCall> = []
          for (const part of message.content) {
            if (part.type === "text") text += part.text
            else if (part.type === "tool-call" && !part.providerExecuted) {
              toolCalls.push({
                id: part.id,
                type: "function",
                function: { name: part.name, arguments: JSON.stringify(part.params) }
              })
            }
            // reasoning is the model's own scratchpad: servers do not take it back
          }
          messages.push(
            toolCalls.length === 0
              ? { role: "assistant", content: text }
              : { role: "assistant", content: text.length > 0 ? text : null, tool_calls: toolCalls }
          )
          break
        }
        case "tool":
          for (const part of message.content) {
            messages.push({ role: "tool", tool_call_id: part.id, content: JSON.stringify(part.result) })
          }
          break
      }
    }
    return Effect.succeed(messages)
  })

/** What a request is made of: a `LanguageModel`'s provider options have it. */
export type CallOptions = Pick<LanguageModel.ProviderOptions, "prompt" | "tools" | "toolChoice" | "responseFormat">

/** The request body of one model call. */
export const requestBody = (
  model: string,
  options: CallOptions
): Effect.Effect<RequestBody, AiError.MalformedInput> =>
  Effect.gen(function*() {
    const messages = yield* messagesOf(options.prompt)
    const [first, ...rest] = messages
    if (first === undefined) return yield* malformedInput("the prompt is empty")
    const tools = []
    for (const tool of options.tools) {
      if (!AiTool.isUserDefined(tool)) {
        return yield* malformedInput(`the provider-defined tool "${tool.name}" needs the Responses API`)
      }
      const description = tool.description ?? AiTool.getDescriptionFromSchemaAst(tool.parametersSchema.ast)
      tools.push({
        type: "function" as const,
        function: {
          name: tool.name,
          parameters: { ...AiTool.getJsonSchemaFromSchemaAst(tool.parametersSchema.ast) },
          ...(description === undefined ? {} : { description })
        }
      })
    }
    const body: RequestBody = {
      model,
      messages: [first, ...rest],
      stream: true,
      // servers reject `tool_choice` without tools
      ...(tools.length === 0 ? {} : { tools, tool_choice: toolChoiceOf(options.toolChoice) })
    }
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
      }
    }
    return body
  })

const toolChoiceOf = (choice: LanguageModel.ToolChoice<string>): NonNullable<RequestBody["tool_choice"]> => {
  if (typeof choice === "string") return choice
  // `oneOf`: `LanguageModel` already narrowed the tools to those
  if ("oneOf" in choice) return choice.mode ?? "auto"
  return { type: "function", function: { name: choice.tool } }
}

// The whole answer at once, from the stream: one code path for both ways of asking.
const collect = (parts: ReadonlyArray<Response.StreamPartEncoded>): Array<Response.PartEncoded> => {
  const out: Array<Response.PartEncoded> = []
  const texts = new Map<string, { text: string }>()
  for (const part of parts) {
    switch (part.type) {
      case "text-start": {
        const text = { text: "" }
        texts.set(part.id, text)
        out.push({ type: "text", text: "" })
        break
      }
      case "text-delta": {
        const text = texts.get(part.id)
        if (text !== undefined) text.text += part.delta
        break
      }
      case "response-metadata":
      case "tool-call":
      case "finish":
        out.push(part)
        break
      default:
        break
    }
  }
  // fill the text parts in place, keeping their order relative to tool calls
  const filled = [...texts.values()]
  let next = 0
  return out.map((part) => part.type === "text" ? { type: "text", text: filled[next++]!.text } : part)
}

/** A request as an `AiError` describes it, without its headers: they carry the API key. */
const requestWithoutHeaders = (request: HttpClientRequest.HttpClientRequest) => ({
  hash: request.hash,
  headers: {},
  method: request.method,
  url: request.url,
  urlParams: request.urlParams
})

/** At most this much of a refusal's body is read (into the error, for the log; the user never sees it). */
const MAX_ERROR_BODY_CHARS = 4096

/**
 * The `HttpResponseError` of a refused (non-2xx) or broken response, with the
 * start of its body. `HttpResponseError.fromResponseError` reads the whole
 * body: a server answering with an endless one must not fill the node.
 */
const responseError = (error: HttpClientError.ResponseError): Effect.Effect<never, AiError.HttpResponseError> =>
  Effect.suspend(() => {
    const decoder = new TextDecoder()
    return error.response.stream.pipe(
      Stream.runFoldWhile("", (text) => text.length < MAX_ERROR_BODY_CHARS, (text, bytes) => text + decoder.decode(bytes, { stream: true })),
      Effect.orElseSucceed(() => ""),
      Effect.flatMap((body) =>
        new AiError.HttpResponseError({
          module: "ChatCompletions",
          method: "streamText",
          reason: error.reason,
          ...(error.description === undefined ? {} : { description: error.description }),
          request: requestWithoutHeaders(error.request),
          response: { headers: {}, status: error.response.status },
          body: body.slice(0, MAX_ERROR_BODY_CHARS)
        })
      )
    )
  })

/**
 * A call's answer, on the `HttpClient` in context: as a stream of encoded
 * `@effect/ai` parts, or the parts of each read of the body handed to a function.
 */
interface Caller {
  readonly stream: (call: CallOptions) => Stream.Stream<Response.StreamPartEncoded, AiError.AiError>
  readonly forEachRead: <E>(
    call: CallOptions,
    f: (parts: ReadonlyArray<Response.StreamPartEncoded>) => Effect.Effect<void, E>
  ) => Effect.Effect<void, AiError.AiError | E>
}

/**
 * The `HttpRequestError` of a request that got no response, built as
 * `responseError` builds its twin: without the request's headers
 * (`fromRequestError` keeps them, redacted only while a logger formats them)
 * and without the client's error as its cause (which holds the request too).
 */
const requestError = (error: HttpClientError.RequestError): AiError.HttpRequestError =>
  new AiError.HttpRequestError({
    module: "ChatCompletions",
    method: "streamText",
    reason: error.reason,
    ...(error.description === undefined ? {} : { description: error.description }),
    request: requestWithoutHeaders(error.request)
  })

/**
 * `read`, with `response` held until it ends: `@effect/platform`'s `HttpClient`
 * aborts the request of a response the garbage collector took (a
 * `FinalizationRegistry`), and the reader of a taken body need not refer to it.
 */
const keepResponseAlive = <A, E, R>(
  response: HttpClientResponse.HttpClientResponse,
  read: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => Effect.ensuring(read, Effect.sync(() => void response.status))

const caller = (options: Options): Effect.Effect<Caller, never, HttpClient.HttpClient> =>
  Effect.map(HttpClient.HttpClient, (httpClient) => {
    const baseUrl = options.baseUrl.replace(/\/+$/, "")
    const client = httpClient.pipe(
      HttpClient.mapRequest((request) => {
        const withUrl = HttpClientRequest.prependUrl(request, baseUrl)
        return options.apiKey === undefined ? withUrl : HttpClientRequest.bearerToken(withUrl, options.apiKey)
      }),
      HttpClient.filterStatusOk
    )
    const execute = (call: CallOptions) =>
      Effect.flatMap(requestBody(options.model, call), (body) =>
        client.execute(
          HttpClientRequest.post("/chat/completions").pipe(
            HttpClientRequest.accept("text/event-stream"),
            HttpClientRequest.bodyUnsafeJson(body)
          )
        ))
    return {
      stream: (call) =>
        Effect.map(execute(call), (response) => Stream.toChannel(ChatStream.parts(response.stream))).pipe(
          // the request, then its body: unwrapped as a channel, which hands the body's parts on
          // as they are (`Stream.unwrap` would run the body as an inner stream, a step per part)
          Channel.unwrap,
          Stream.fromChannel,
          Stream.catchTags({
            RequestError: (error) => Stream.fail(requestError(error)),
            ResponseError: (error) => Stream.fromEffect(responseError(error))
          })
        ),
      forEachRead: (call, f) =>
        Effect.flatMap(execute(call), (response) => {
          const taken = UndiciClient.takeBody(response)
          // another client's response (not the agent's, which is always `UndiciClient`'s): its body as a stream
          if (taken === undefined) return Stream.runForEachChunk(ChatStream.parts(response.stream), (parts) => f(Chunk.toReadonlyArray(parts)))
          return keepResponseAlive(response, NodeBody.forEachBuffer(taken.body, taken.onError, ChatStream.bodyReader(f)))
        }).pipe(
          // mapped once, on the whole read, not per part: `f`'s own failures (not the HTTP client's) pass through
          Effect.catchIf(HttpClientError.isHttpClientError, (error): Effect.Effect<never, AiError.AiError> =>
            error._tag === "RequestError" ? Effect.fail(requestError(error)) : responseError(error))
        )
    }
  })

/**
 * The model agent's `ModelStream` on the `HttpClient` in context: the parts
 * go to the agent as this client reads them (already checked, chunk by
 * chunk), with no `LanguageModel` decoding them again.
 */
export const modelStream = (options: Options): Effect.Effect<ModelStream["Type"], never, HttpClient.HttpClient> =>
  Effect.map(caller(options), (modelCaller) => {
    const callOptions = (call: ModelCall): CallOptions => ({
      prompt: call.prompt,
      tools: Object.values(call.toolkit.tools),
      toolChoice: call.toolChoice,
      responseFormat: { type: "text" }
    })
    return {
      streamText: (call) => modelCaller.stream(callOptions(call)),
      forEachBatch: (call, f) => modelCaller.forEachRead(callOptions(call), f)
    }
  })

/** `modelStream` as a Layer. */
export const modelStreamLayer = (options: Options): Layer.Layer<ModelStream, never, HttpClient.HttpClient> =>
  Layer.effect(ModelStream, modelStream(options))

/** Builds the language model on the `HttpClient` in context. */
export const make = (options: Options): Effect.Effect<LanguageModel.Service, never, HttpClient.HttpClient> =>
  Effect.flatMap(caller(options), ({ stream }) =>
    LanguageModel.make({
      streamText: stream,
      generateText: (providerOptions) => Effect.map(Stream.runCollect(stream(providerOptions)), (chunk) => collect([...chunk]))
    }))

/** The language model as a Layer. */
export const layer = (options: Options): Layer.Layer<LanguageModel.LanguageModel, never, HttpClient.HttpClient> =>
  Layer.effect(LanguageModel.LanguageModel, make(options))
