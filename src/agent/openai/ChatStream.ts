/**
 * Reading a streamed `/chat/completions` answer (`stream: true`): the bytes
 * as server-sent events, each event's `data` as a chunk, and the chunks as
 * `@effect/ai` stream parts — text deltas, tool calls assembled from their
 * fragments (`delta.tool_calls[]` with `index`, then `id`, `function.name`
 * and pieces of `function.arguments`), and the finish.
 * Import as a namespace: `import * as ChatStream from "./ChatStream.js"`.
 */
import * as AiError from "@effect/ai/AiError"
import type * as Response from "@effect/ai/Response"
import * as AiTool from "@effect/ai/Tool"
import { Channel, Chunk, Effect, Either, ParseResult, Predicate, Schema, Stream } from "effect"
import { randomUUID } from "node:crypto"
import type { Readable } from "node:stream"
import * as ServerSentEvents from "./ServerSentEvents.js"

// Lenient on purpose: OpenAI-compatible servers (vLLM, llama.cpp, Ollama, ...)
// omit or null fields OpenAI always sends; only what is read here is checked.
const ToolCallDelta = Schema.Struct({
  index: Schema.optional(Schema.NullOr(Schema.Number)),
  id: Schema.optional(Schema.NullOr(Schema.String)),
  function: Schema.optional(Schema.NullOr(Schema.Struct({
    name: Schema.optional(Schema.NullOr(Schema.String)),
    arguments: Schema.optional(Schema.NullOr(Schema.String))
  })))
})

const Choice = Schema.Struct({
  index: Schema.optional(Schema.NullOr(Schema.Number)),
  delta: Schema.optional(Schema.NullOr(Schema.Struct({
    content: Schema.optional(Schema.NullOr(Schema.String)),
    tool_calls: Schema.optional(Schema.NullOr(Schema.Array(ToolCallDelta)))
  }))),
  finish_reason: Schema.optional(Schema.NullOr(Schema.String))
})

const Usage = Schema.Struct({
  prompt_tokens: Schema.optional(Schema.NullOr(Schema.Number)),
  completion_tokens: Schema.optional(Schema.NullOr(Schema.Number)),
  total_tokens: Schema.optional(Schema.NullOr(Schema.Number))
})

/** One `data:` payload of the stream (`chat.completion.chunk`), or an error some servers send instead. */
export const CompletionChunk = Schema.Struct({
  id: Schema.optional(Schema.NullOr(Schema.String)),
  model: Schema.optional(Schema.NullOr(Schema.String)),
  created: Schema.optional(Schema.NullOr(Schema.Number)),
  choices: Schema.optional(Schema.NullOr(Schema.Array(Choice))),
  usage: Schema.optional(Schema.NullOr(Usage)),
  error: Schema.optional(Schema.Unknown)
})

/** @see CompletionChunk */
export type CompletionChunk = typeof CompletionChunk.Type

const decodeChunkJson = Schema.decodeUnknownEither(Schema.parseJson(CompletionChunk))
const decodeChunkValue = Schema.decodeUnknownEither(CompletionChunk)

const nullable = (value: unknown, type: "string" | "number"): boolean =>
  value === undefined || value === null || typeof value === type

/**
 * The usual chunk — choices with text deltas, nothing else — checked by hand:
 * it is most of a stream, and the schema's decode cost more than the rest of
 * its event's path. Whatever it does not accept goes through the schema, which
 * accepts everything this accepts (test/agent/ChatStream.test.ts holds them to it).
 */
export const isTextChunk = (value: unknown): value is CompletionChunk => {
  if (!Predicate.isRecord(value)) return false
  if (!nullable(value.id, "string") || !nullable(value.model, "string") || !nullable(value.created, "number")) return false
  if ((value.usage !== undefined && value.usage !== null) || value.error !== undefined) return false
  const choices = value.choices
  if (!Array.isArray(choices)) return false
  for (const choice of choices) {
    if (!Predicate.isRecord(choice) || !nullable(choice.index, "number") || !nullable(choice.finish_reason, "string")) return false
    const delta = choice.delta
    if (delta === undefined || delta === null) continue
    if (!Predicate.isRecord(delta) || !nullable(delta.content, "string")) return false
    if (delta.tool_calls !== undefined && delta.tool_calls !== null) return false
  }
  return true
}

/** One event's data as a chunk: the hand check first, the schema (and its error message) for the rest. */
const decodeChunk = (data: string): Either.Either<CompletionChunk, ParseResult.ParseError> => {
  let parsed: unknown
  try {
    parsed = JSON.parse(data)
  } catch {
    return decodeChunkJson(data)
  }
  return isTextChunk(parsed) ? Either.right(parsed) : decodeChunkValue(parsed)
}

/** The data of the event that ends an OpenAI stream. */
export const DONE = "[DONE]"

const malformed = (description: string, cause?: unknown): AiError.MalformedOutput =>
  new AiError.MalformedOutput({
    module: "ChatCompletions",
    method: "streamText",
    description,
    ...(cause === undefined ? {} : { cause })
  })

const finishReasonOf = (reason: string, hasToolCalls: boolean): Response.FinishReason => {
  if (hasToolCalls) return "tool-calls"
  switch (reason) {
    case "stop":
      return "stop"
    case "length":
      return "length"
    case "content_filter":
      return "content-filter"
    case "tool_calls":
    case "function_call":
      return "tool-calls"
    default:
      return "other"
  }
}

/** The most tool calls one answer may hold, and characters of arguments all of them together: a server cannot grow them without end. */
export const maxToolCalls = 32
export const maxToolArgumentChars = 1_048_576

interface PendingCall {
  id: string | undefined
  name: string | undefined
  arguments: string
  started: boolean
}

/**
 * The state of one streamed answer: feed it each event's data in order, then
 * call `end` when the body ends. Text is one text part; tool calls are held
 * until the model finishes, since their arguments arrive in pieces.
 */
export class Decoder {
  private textId: string | undefined
  private readonly calls = new Map<number, PendingCall>()
  private argumentChars = 0
  private metadataSent = false
  private finished = false

  constructor(private readonly newId: () => string = () => `call_${randomUUID()}`) {}

  /** The parts of one event (`data` and the SSE event name); `[DONE]` finishes the answer. */
  event(data: string, eventName = "message"): Either.Either<Array<Response.StreamPartEncoded>, AiError.MalformedOutput> {
    if (this.finished) return Either.right([])
    if (data.trim() === DONE) return this.finish("stop")
    const decoded = decodeChunk(data)
    if (Either.isLeft(decoded)) {
      return Either.left(malformed(
        `not a chat completion chunk: ${ParseResult.TreeFormatter.formatErrorSync(decoded.left)}`,
        decoded.left
      ))
    }
    const chunk = decoded.right
    if (eventName === "error" || (chunk.error !== undefined && chunk.error !== null)) {
      // the server gave up mid-answer and said why: the answer is over
      this.finished = true
      return Either.right([{ type: "error", error: chunk.error ?? chunk }])
    }
    const parts: Array<Response.StreamPartEncoded> = []
    if (!this.metadataSent) {
      this.metadataSent = true
      parts.push({
        type: "response-metadata",
        id: chunk.id ?? undefined,
        modelId: chunk.model ?? undefined,
        timestamp: typeof chunk.created === "number" ? new Date(chunk.created * 1000).toISOString() : undefined
      })
    }
    // n = 1 is all this client asks for: other choices are not part of the answer
    const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0)
    if (choice === undefined) return Either.right(parts)
    const content = choice.delta?.content
    if (typeof content === "string" && content.length > 0) {
      if (this.textId === undefined) {
        this.textId = chunk.id ?? "text"
        parts.push({ type: "text-start", id: this.textId })
      }
      parts.push({ type: "text-delta", id: this.textId, delta: content })
    }
    for (const [position, fragment] of (choice.delta?.tool_calls ?? []).entries()) {
      const refused = this.toolCallFragment(fragment.index ?? position, fragment, parts)
      if (refused !== undefined) return Either.left(refused)
    }
    if (typeof choice.finish_reason === "string" && choice.finish_reason.length > 0) {
      const finished = this.finish(choice.finish_reason)
      return Either.map(finished, (rest) => [...parts, ...rest])
    }
    return Either.right(parts)
  }

  /** The parts due when the body ends; fails when the model had not finished. */
  end(): Either.Either<Array<Response.StreamPartEncoded>, AiError.MalformedOutput> {
    return this.finished
      ? Either.right([])
      : Either.left(malformed("the stream ended before the model finished its answer"))
  }

  private toolCallFragment(
    index: number,
    fragment: typeof ToolCallDelta.Type,
    parts: Array<Response.StreamPartEncoded>
  ): AiError.MalformedOutput | undefined {
    let call = this.calls.get(index)
    if (call === undefined) {
      if (this.calls.size >= maxToolCalls) return malformed(`more than ${maxToolCalls} tool calls in one answer`)
      call = { id: undefined, name: undefined, arguments: "", started: false }
      this.calls.set(index, call)
    }
    if (typeof fragment.id === "string" && fragment.id.length > 0 && call.id === undefined) call.id = fragment.id
    const name = fragment.function?.name
    // the name comes whole with the call's first fragment (later ones repeat it, if anything)
    if (typeof name === "string" && name.length > 0 && call.name === undefined) call.name = name
    if (!call.started && call.name !== undefined) {
      call.id ??= this.newId()
      call.started = true
      parts.push({ type: "tool-params-start", id: call.id, name: call.name })
    }
    const args = fragment.function?.arguments
    if (typeof args === "string" && args.length > 0) {
      this.argumentChars += args.length
      if (this.argumentChars > maxToolArgumentChars) {
        return malformed(`tool call arguments longer than ${maxToolArgumentChars} characters`)
      }
      call.arguments += args
      if (call.started && call.id !== undefined) parts.push({ type: "tool-params-delta", id: call.id, delta: args })
    }
    return undefined
  }

  private finish(reason: string): Either.Either<Array<Response.StreamPartEncoded>, AiError.MalformedOutput> {
    this.finished = true
    const parts: Array<Response.StreamPartEncoded> = []
    if (this.textId !== undefined) parts.push({ type: "text-end", id: this.textId })
    const calls = Array.from(this.calls.entries()).sort(([a], [b]) => a - b).map(([, call]) => call)
    for (const call of calls) {
      if (call.name === undefined) return Either.left(malformed("a streamed tool call has no function name"))
      const id = call.id ?? this.newId()
      if (!call.started) parts.push({ type: "tool-params-start", id, name: call.name })
      parts.push({ type: "tool-params-end", id })
      let params: unknown
      try {
        // servers send "" for a call without arguments
        params = AiTool.unsafeSecureJsonParse(call.arguments.trim().length === 0 ? "{}" : call.arguments)
      } catch (cause) {
        return Either.left(malformed(`the arguments of a call of the tool "${call.name}" are not JSON`, cause))
      }
      parts.push({ type: "tool-call", id, name: call.name, params })
    }
    parts.push({
      type: "finish",
      reason: finishReasonOf(reason, calls.length > 0),
      usage: { inputTokens: undefined, outputTokens: undefined, totalTokens: undefined }
    })
    return Either.right(parts)
  }
}

/**
 * One answer's reading: each read of the body in (bytes as they came), its
 * parts out — decoded, split into events and turned into parts in one step.
 */
class AnswerReader {
  private readonly text = new TextDecoder()
  private readonly reader = new ServerSentEvents.Reader()
  private readonly decoder: Decoder
  private readonly events: Array<ServerSentEvents.Event> = []
  /** `[DONE]` was read: the answer is over, nothing more is read */
  done = false

  constructor(newId?: () => string) {
    this.decoder = new Decoder(newId)
  }

  /** Appends the parts of `input` to `out`; a refusal ends the answer. */
  read(input: Iterable<Uint8Array>, out: Array<Response.StreamPartEncoded>): AiError.MalformedOutput | undefined {
    const events = this.events
    for (const bytes of input) {
      const oversized = this.reader.feed(this.text.decode(bytes, { stream: true }), events)
      if (oversized !== undefined) {
        return malformed(`a server-sent event longer than ${oversized.maxEventChars} characters`)
      }
      for (const event of events) {
        const decoded = this.decoder.event(event.data, event.event)
        if (Either.isLeft(decoded)) return decoded.left
        for (const part of decoded.right) out.push(part)
        if (event.data.trim() === DONE) {
          this.done = true
          return undefined
        }
      }
      events.length = 0
    }
    return undefined
  }

  /** The parts due when the body ends; fails when the model had not finished. */
  end(): Either.Either<Array<Response.StreamPartEncoded>, AiError.MalformedOutput> {
    return this.decoder.end()
  }
}

/**
 * The `@effect/ai` parts of a streamed answer, from its bytes. Stops reading
 * at `[DONE]`; fails with `MalformedOutput` on an event that is not a chunk,
 * and when the body ends before the model finished. One channel stage:
 * each read is decoded, split into events and turned into parts in one step.
 */
export const parts = <E>(
  bytes: Stream.Stream<Uint8Array, E>,
  newId?: () => string
): Stream.Stream<Response.StreamPartEncoded, E | AiError.MalformedOutput> =>
  Stream.suspend(() => {
    const answer = new AnswerReader(newId)
    const write = (out: Array<Response.StreamPartEncoded>) =>
      out.length === 0 ? Channel.void : Channel.write(Chunk.unsafeFromArray(out))
    const read: Channel.Channel<
      Chunk.Chunk<Response.StreamPartEncoded>,
      Chunk.Chunk<Uint8Array>,
      E | AiError.MalformedOutput,
      E
    > = Channel.readWithCause({
      onInput: (input: Chunk.Chunk<Uint8Array>) => {
        const out: Array<Response.StreamPartEncoded> = []
        const refused = answer.read(input, out)
        if (refused !== undefined) return Channel.fail(refused)
        // the answer is over: the channel ends here without reading on, which releases the body
        if (answer.done) return write(out)
        return Channel.zipRight(write(out), read)
      },
      onFailure: Channel.failCause,
      onDone: () => Either.match(answer.end(), { onLeft: Channel.fail, onRight: write })
    })
    return Stream.pipeThroughChannel(bytes, read)
  })

/**
 * `parts`, each read's parts handed to `f` at once, in the step that read
 * them: the body's stream runs into this one sink, with no stage between
 * (a stage costs every read a trip through the channel executor). `f`
 * is not called for a read that completed no part.
 */
export const forEachRead = <E, E2, R>(
  bytes: Stream.Stream<Uint8Array, E>,
  f: (parts: ReadonlyArray<Response.StreamPartEncoded>) => Effect.Effect<void, E2, R>,
  newId?: () => string
): Effect.Effect<void, E | E2 | AiError.MalformedOutput, R> =>
  Effect.suspend(() => {
    const answer = new AnswerReader(newId)
    type Sink = Channel.Channel<never, Chunk.Chunk<Uint8Array>, E | E2 | AiError.MalformedOutput, E, void, unknown, R>
    const handle = (out: ReadonlyArray<Response.StreamPartEncoded>): Sink =>
      out.length === 0 ? Channel.void : Channel.fromEffect(f(out))
    const read: Sink =
      Channel.readWithCause({
        onInput: (input: Chunk.Chunk<Uint8Array>) => {
          const out: Array<Response.StreamPartEncoded> = []
          const refused = answer.read(input, out)
          if (refused !== undefined) return Channel.fail(refused)
          // the answer is over: the sink ends here without reading on, which releases the body
          if (answer.done) return handle(out)
          return out.length === 0 ? read : Channel.flatMap(Channel.fromEffect(f(out)), () => read)
        },
        onFailure: Channel.failCause,
        onDone: () => Either.match(answer.end(), { onLeft: Channel.fail, onRight: handle })
      })
    return Channel.runDrain(Channel.pipeTo(Stream.toChannel(bytes), read))
  })

/** What a read of a Node body gave: its buffers, its end, or its error. */
type NodeRead = Array<Uint8Array> | "end" | { readonly failed: unknown }

/**
 * `forEachRead` on the body as a Node stream (`UndiciClient.takeBody`): one
 * `Effect.async` per read, no channel. Stopping before the body's end (at
 * `[DONE]`, on a failure, when interrupted) destroys it, which aborts the request.
 */
export const forEachNodeRead = <E, E2, R>(
  body: Readable,
  onError: (cause: unknown) => E,
  f: (parts: ReadonlyArray<Response.StreamPartEncoded>) => Effect.Effect<void, E2, R>,
  newId?: () => string
): Effect.Effect<void, E | E2 | AiError.MalformedOutput, R> =>
  Effect.suspend(() => {
    const answer = new AnswerReader(newId)
    let ended = false
    let failure: { readonly failed: unknown } | undefined
    let wake: (() => void) | undefined
    const onReadable = (): void => wake?.()
    const onEnd = (): void => {
      ended = true
      wake?.()
    }
    const onFailure = (cause: unknown): void => {
      failure = { failed: cause }
      wake?.()
    }
    body.on("readable", onReadable)
    body.on("end", onEnd)
    body.on("error", onFailure)
    // everything readable now (`read()` until null, so that the stream signals `readable` again)
    const poll = (): NodeRead | undefined => {
      if (failure !== undefined) return failure
      const input: Array<Uint8Array> = []
      let item: Uint8Array | null
      while ((item = body.read() as Uint8Array | null) !== null) input.push(item)
      if (input.length > 0) return input
      return ended || body.readableEnded ? "end" : undefined
    }
    const settle = (read: NodeRead): Effect.Effect<Array<Uint8Array> | "end", E> =>
      typeof read === "object" && !Array.isArray(read) ? Effect.fail(onError(read.failed)) : Effect.succeed(read)
    const next: Effect.Effect<Array<Uint8Array> | "end", E> = Effect.suspend(() => {
      const now = poll()
      if (now !== undefined) return settle(now)
      return Effect.async<Array<Uint8Array> | "end", E>((resume) => {
        wake = () => {
          const read = poll()
          if (read === undefined) return
          wake = undefined
          resume(settle(read))
        }
        return Effect.sync(() => {
          wake = undefined
        })
      })
    })
    const handle = (out: ReadonlyArray<Response.StreamPartEncoded>): Effect.Effect<void, E2, R> =>
      out.length === 0 ? Effect.void : f(out)
    const loop: Effect.Effect<void, E | E2 | AiError.MalformedOutput, R> = Effect.flatMap(next, (input) => {
      if (input === "end") return Either.match(answer.end(), { onLeft: Effect.fail, onRight: handle })
      const out: Array<Response.StreamPartEncoded> = []
      const refused = answer.read(input, out)
      if (refused !== undefined) return Effect.fail(refused)
      // the answer is over: nothing more is read, and the body is released below
      if (answer.done) return handle(out)
      return out.length === 0 ? loop : Effect.zipRight(f(out), loop)
    })
    return Effect.ensuring(
      loop,
      Effect.sync(() => {
        body.off("readable", onReadable)
        body.off("end", onEnd)
        body.off("error", onFailure)
        if (!body.destroyed && !body.readableEnded) body.destroy()
      })
    )
  })
