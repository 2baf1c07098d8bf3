import * as AiError from "@effect/ai/AiError"
import * as LanguageModel from "@effect/ai/LanguageModel"
import type * as Prompt from "@effect/ai/Prompt"
import type * as Response from "@effect/ai/Response"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Fiber, Option, Schedule, Stream, TestClock } from "effect"
import type { AgentEvent, AgentRequest } from "../../src/agent/Agent.js"
import * as ModelAgent from "../../src/agent/ModelAgent.js"
import * as ModelStream from "../../src/agent/ModelStream.js"
import { BuiltinTools } from "../../src/agent/tools/index.js"
import { ConversationMemory } from "../../src/state/Conversations.js"

/**
 * The model agent's loop against a scripted `LanguageModel` (no HTTP) as its
 * `ModelStream`: which failures are retried and when, the timeout, what is
 * remembered, and that ending the run releases the model's stream.
 */

const options: ModelAgent.Options = {
  name: "openai",
  model: "scripted",
  tools: BuiltinTools,
  systemPrompt: "Be brief.",
  maxSteps: 4,
  timeoutMs: 5_000,
  maxRetries: 2,
  retryBaseMs: 1
}

const request = (text: string, threadId?: string): AgentRequest => ({
  runId: "r-1",
  userId: "u",
  text,
  agent: undefined,
  threadId,
  params: {}
})

const finish: Response.StreamPartEncoded = {
  type: "finish",
  reason: "stop",
  usage: { inputTokens: undefined, outputTokens: undefined, totalTokens: undefined }
}

const text = (...deltas: ReadonlyArray<string>): Array<Response.StreamPartEncoded> => [
  { type: "text-start", id: "t" },
  ...deltas.map((delta): Response.StreamPartEncoded => ({ type: "text-delta", id: "t", delta })),
  { type: "text-end", id: "t" }
]

const status = (code: number) =>
  new AiError.HttpResponseError({
    module: "test",
    method: "streamText",
    reason: "StatusCode",
    request: { method: "POST", url: "http://model/v1/chat/completions", urlParams: [], hash: Option.none(), headers: {} },
    response: { status: code, headers: {} }
  })

type Step = (prompt: Prompt.Prompt) => Stream.Stream<Response.StreamPartEncoded, AiError.AiError>

// A model whose n-th call is answered by steps[n]; it records the prompts it got.
const scripted = (steps: ReadonlyArray<Step>) =>
  Effect.gen(function*() {
    const prompts: Array<Prompt.Prompt> = []
    const model = yield* LanguageModel.make({
      generateText: () => Effect.die("not used"),
      streamText: (providerOptions) => {
        const step = steps[prompts.length]
        prompts.push(providerOptions.prompt)
        return step === undefined ? Stream.die("no more scripted steps") : step(providerOptions.prompt)
      }
    })
    return { model: ModelStream.fromLanguageModel(model), prompts }
  })

// The run as the service plays it (`runForEach`), each event pushed onto `events`.
const runInto = (
  model: ModelStream.ModelStream["Type"],
  req: AgentRequest,
  events: Array<AgentEvent>,
  memory?: ConversationMemory
) => ModelAgent.runner(model, options).runForEach(req, Option.fromNullable(memory), (event) => Effect.sync(() => void events.push(event)))

// The same, its events collected.
const runAgent = (model: ModelStream.ModelStream["Type"], req: AgentRequest, memory?: ConversationMemory) =>
  Effect.suspend(() => {
    const events: Array<AgentEvent> = []
    return runInto(model, req, events, memory).pipe(Effect.as(events), Effect.exit)
  })

// A model that says "Hi" and then nothing, its stream open until released (`released.value`).
const hangsAfterHi = (released: { value: boolean }) => () =>
  Stream.concat(Stream.fromIterable(text("Hi")), Stream.never).pipe(
    Stream.ensuring(Effect.sync(() => {
      released.value = true
    }))
  )

// The same run as a stream (`Agent.run`).
const streamAgent = (model: ModelStream.ModelStream["Type"], req: AgentRequest) =>
  ModelAgent.runner(model, options).run(req, Option.none()).pipe(
    Stream.runCollect,
    Effect.map((events) => Chunk.toArray(events)),
    Effect.exit
  )

const failureCode = (exit: Exit.Exit<unknown, { readonly code: string }>) =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Option.map(Exit.causeOption(exit).pipe(
    Option.flatMap((cause) => Option.fromNullable(cause._tag === "Fail" ? cause.error : undefined))
  ), (error) => error.code)) : undefined

const deltas = (events: ReadonlyArray<AgentEvent>) =>
  events.flatMap((event) => event._tag === "MessageDelta" ? [event.text] : [])

describe("ModelAgent", () => {
  it.live("retries a 503 that came before any delta, and the user sees the answer once", () =>
    Effect.gen(function*() {
      const { model, prompts } = yield* scripted([
        () => Stream.fail(status(503)),
        () => Stream.fromIterable([...text("Hi", " there"), finish])
      ])
      const exit = yield* runAgent(model, request("hello"))
      expect(Exit.isSuccess(exit)).toBe(true)
      if (Exit.isSuccess(exit)) {
        expect(exit.value.map((e) => e._tag)).toEqual(["Thinking", "MessageDelta", "MessageDelta"])
        expect(deltas(exit.value).join("")).toBe("Hi there")
      }
      expect(prompts).toHaveLength(2)
    }))

  it.live("does not retry once a delta reached the user", () =>
    Effect.gen(function*() {
      const { model, prompts } = yield* scripted([
        () => Stream.concat(Stream.fromIterable(text("Hi")), Stream.fail(status(503)))
      ])
      const exit = yield* runAgent(model, request("hello"))
      expect(failureCode(exit)).toBe("MODEL_HTTP_5XX")
      expect(prompts).toHaveLength(1)
    }))

  it.live("gives up after maxRetries", () =>
    Effect.gen(function*() {
      const { model, prompts } = yield* scripted([1, 2, 3].map(() => () => Stream.fail(status(429))))
      const exit = yield* runAgent(model, request("hello"))
      expect(failureCode(exit)).toBe("MODEL_RATE_LIMITED")
      expect(prompts).toHaveLength(3)
    }))

  it.effect("fails with MODEL_TIMEOUT when the model stays quiet for timeoutMs", () =>
    Effect.gen(function*() {
      const { model } = yield* scripted([() => Stream.never])
      const fiber = yield* Effect.fork(runAgent(model, request("hello")))
      yield* TestClock.adjust("5 seconds")
      expect(failureCode(yield* Fiber.join(fiber))).toBe("MODEL_TIMEOUT")
    }))

  it.effect("does not time out while the model keeps sending, however long the answer takes", () =>
    Effect.gen(function*() {
      // a part every 3 s, 18 s in all, against a timeout of 5 s between two of them
      const { model } = yield* scripted([() =>
        Stream.concat(
          Stream.fromIterable(text("a", "b", "c", "d")).pipe(Stream.schedule(Schedule.spaced("3 seconds"))),
          Stream.make(finish)
        )
      ])
      const fiber = yield* Effect.fork(runAgent(model, request("hello")))
      for (let i = 0; i < 12; i++) yield* TestClock.adjust("2 seconds")
      const exit = yield* Fiber.join(fiber)
      expect(Exit.isSuccess(exit) ? deltas(exit.value).join("") : exit).toBe("abcd")
    }))

  it.effect("fails with MODEL_BAD_STREAM when the stream ends without a finish", () =>
    Effect.gen(function*() {
      const { model } = yield* scripted([() => Stream.fromIterable(text("Hel"))])
      expect(failureCode(yield* runAgent(model, request("hello")))).toBe("MODEL_BAD_STREAM")
    }))

  it.effect("fails with MODEL_ERROR when the server reports an error in the stream", () =>
    Effect.gen(function*() {
      const { model } = yield* scripted([() => Stream.make<Array<Response.StreamPartEncoded>>({ type: "error", error: { error: { message: "overloaded" } } })])
      const exit = yield* runAgent(model, request("hello"))
      expect(failureCode(exit)).toBe("MODEL_ERROR")
      // the server's own words stay in the log: they may quote anything
      expect(JSON.stringify(exit)).not.toContain("overloaded")
    }))

  it.effect("fails with MODEL_BAD_STREAM when the model calls a tool it was not offered, and reports no call", () =>
    Effect.gen(function*() {
      const { model } = yield* scripted([() =>
        Stream.make<Array<Response.StreamPartEncoded>>(
          { type: "tool-call", id: "c1", name: "rm -rf", params: {} },
          { ...finish, reason: "tool-calls" }
        )
      ])
      const events: Array<AgentEvent> = []
      const exit = yield* Effect.exit(runInto(model, request("hello"), events))
      expect(failureCode(exit)).toBe("MODEL_BAD_STREAM")
      expect(events.map((e) => e._tag)).toEqual(["Thinking"])
    }))

  it.effect("sends the system prompt and the thread's history, and remembers only finished turns", () =>
    Effect.gen(function*() {
      const memory = new ConversationMemory({ maxTurns: 10, maxChars: 10_000, maxThreads: 10 })
      yield* memory.record("t", { user: "my name is Ada", assistant: "Hello Ada!" })
      const { model, prompts } = yield* scripted([
        () => Stream.fromIterable([...text("You are ", "Ada."), finish]),
        () => Stream.fail(status(400))
      ])
      expect(Exit.isSuccess(yield* runAgent(model, request("who am I?", "t"), memory))).toBe(true)
      expect(prompts[0]!.content.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"])
      expect(yield* memory.history("t")).toEqual([
        { user: "my name is Ada", assistant: "Hello Ada!" },
        { user: "who am I?", assistant: "You are Ada." }
      ])
      // a failed turn is not remembered
      expect(failureCode(yield* runAgent(model, request("again?", "t"), memory))).toBe("MODEL_HTTP_4XX")
      expect(yield* memory.history("t")).toHaveLength(2)
    }))

  it.effect("runs the tool the model asks for and gives the model its output", () =>
    Effect.gen(function*() {
      const { model, prompts } = yield* scripted([
        () =>
          Stream.make<Array<Response.StreamPartEncoded>>(
            { type: "tool-call", id: "c1", name: "calculator", params: { expression: "2 + 3" } },
            { ...finish, reason: "tool-calls" }
          ),
        () => Stream.fromIterable([...text("5"), finish])
      ])
      const exit = yield* runAgent(model, request("2 + 3?"))
      expect(Exit.isSuccess(exit)).toBe(true)
      if (Exit.isSuccess(exit)) {
        expect(exit.value).toEqual([
          { _tag: "Thinking", text: "Asking scripted." },
          { _tag: "ToolExecuting", toolCallId: "c1", tool: "calculator", input: { expression: "2 + 3" } },
          { _tag: "ToolCompleted", toolCallId: "c1", tool: "calculator", output: { expression: "2 + 3", value: 5 }, ok: true },
          { _tag: "Thinking", text: "Asking scripted again with the tool results (step 2 of at most 4)." },
          { _tag: "MessageDelta", text: "5" }
        ])
      }
      expect(prompts[1]!.content.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool"])
    }))

  it.effect("releases the model's stream when the run's stream ends early (stop_agent)", () =>
    Effect.gen(function*() {
      const released = { value: false }
      const { model } = yield* scripted([hangsAfterHi(released)])
      const events = yield* ModelAgent.runner(model, options).run(request("hello"), Option.none()).pipe(
        Stream.take(2),
        Stream.runCollect
      )
      expect(Chunk.toArray(events).map((e) => e._tag)).toEqual(["Thinking", "MessageDelta"])
      expect(released.value).toBe(true)
    }))

  it.effect("releases the model's stream when the run is interrupted (stop_agent), and the stream form gives the same events", () =>
    Effect.gen(function*() {
      const released = { value: false }
      const { model } = yield* scripted([hangsAfterHi(released), () => Stream.fromIterable([...text("Hi", " there"), finish])])
      const events: Array<AgentEvent> = []
      const fiber = yield* Effect.fork(runInto(model, request("hello"), events))
      while (events.length < 2) yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiber)
      expect(events.map((e) => e._tag)).toEqual(["Thinking", "MessageDelta"])
      expect(released.value).toBe(true)
      const streamed = yield* streamAgent(model, request("hello"))
      expect(Exit.isSuccess(streamed) ? streamed.value.map((e) => e._tag) : streamed).toEqual([
        "Thinking",
        "MessageDelta",
        "MessageDelta"
      ])
    }))
})
