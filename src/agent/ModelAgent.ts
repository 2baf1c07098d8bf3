/**
 * An `Agent` backed by a real language model — whichever `ModelStream`
 * (OpenAI's Responses API through `@effect/ai`, or Chat Completions for
 * self-hosted servers) — this module does not know which one runs.
 * Import as a namespace: `import * as ModelAgent from "./ModelAgent.js"`.
 */
import * as Prompt from "@effect/ai/Prompt"
import { Duration, Effect, Either, Layer, Option, Schedule, Stream } from "effect"
import { type ConversationMemory, Conversations } from "../state/Conversations.js"
import { Agent, AgentError, type AgentEvent, type AgentRequest, streamOf } from "./Agent.js"
import * as ModelFailure from "./ModelFailure.js"
import * as ModelStream from "./ModelStream.js"
import * as ModelToolkit from "./ModelToolkit.js"
import type * as Tool from "./Tool.js"

/** How the agent talks to its model. */
export interface Options {
  /** the `agent` reported in `agent_started` */
  readonly name: string
  /** the model's name, for the `agent_thinking` texts */
  readonly model: string
  /** the tools the model may call (the same ones as the built-in agent's) */
  readonly tools: Tool.Toolkit
  /** the system message that starts every conversation; empty: none */
  readonly systemPrompt: string
  /** model calls per run at most; the last one may not ask for tools */
  readonly maxSteps: number
  /** the longest wait for the model server: for its answer to start, and between two parts of it (keep-alive comments do not count) */
  readonly timeoutMs: number
  /** how many times a failed model call is sent again (connection errors, 429, 5xx only) */
  readonly maxRetries: number
  /** the first retry's delay; later ones back off exponentially, with jitter */
  readonly retryBaseMs: number
}

/**
 * The agent as a Layer. Each run: `Thinking` before each model call, a
 * `MessageDelta` per streamed text chunk, `ToolExecuting`/`ToolCompleted`
 * around each tool call the model makes, then the model again with the
 * results — up to `maxSteps` calls. With a `thread_id`, the thread's earlier
 * turns (kept in the user's session) go to the model first.
 */
export const layer = (options: Options): Layer.Layer<Agent, never, ModelStream.ModelStream> => Layer.effect(Agent, make(options))

/** Builds the agent on the `ModelStream` in context. */
export const make = (options: Options): Effect.Effect<Agent["Type"], never, ModelStream.ModelStream> =>
  Effect.map(ModelStream.ModelStream, (model) => {
    const { run, runForEach } = runner(model, options)
    // the run's fiber is forked from the frame's handler, which has the user's services
    return {
      defaultName: options.name,
      run: (request: AgentRequest) => Stream.unwrap(Effect.map(Conversations, (memory) => run(request, Option.some(memory)))),
      runForEach: (request: AgentRequest, f: Emit) =>
        Effect.flatMap(Conversations, (memory) => runForEach(request, Option.some(memory), f))
    }
  })

/** A tool call the model asked for. */
interface ToolCall {
  readonly id: string
  readonly name: string
  readonly params: unknown
}

/** What one model call produced. */
interface Reply {
  readonly text: string
  readonly toolCalls: ReadonlyArray<ToolCall>
}

type Emit = (event: AgentEvent) => Effect.Effect<void>

/**
 * One run on `model`, with the user's conversation memory when there is one:
 * `runForEach` hands each event to a function in the loop's fiber (how the
 * service plays runs), `run` gives them as a stream. Interrupting the run (a
 * `stop_agent`, the session's release) interrupts the HTTP request in flight.
 */
export const runner = (model: ModelStream.ModelStream["Type"], options: Options) => {
  const toolkit = ModelToolkit.fromToolkit(options.tools)
  const retryPolicy = Schedule.exponential(Duration.millis(options.retryBaseMs)).pipe(Schedule.jittered)

  /**
   * One model call, read to its end: each text delta goes to the user as it
   * comes (`onDelta` is told), tool calls are collected for the loop to run.
   * The read races an idle watchdog: when the model sends nothing for
   * `timeoutMs`, the watchdog wins with `MODEL_TIMEOUT`, and the losing read
   * is interrupted — with it the HTTP request.
   */
  const readReply = (
    prompt: Prompt.Prompt,
    last: boolean,
    emit: Emit,
    onDelta: () => void
  ): Effect.Effect<Reply, AgentError> =>
    Effect.clockWith((clock) => {
      let text = ""
      let finished = false
      const toolCalls: Array<ToolCall> = []
      // when the model was last heard from; a delivery that takes long (a slow backplane) is not the model's silence
      let lastSeen = clock.unsafeCurrentTimeMillis()
      const heard = (): void => {
        lastSeen = clock.unsafeCurrentTimeMillis()
      }
      // a part's effect; `undefined`: nothing to do
      const onPart = (part: ModelStream.ModelPart): Effect.Effect<void, AgentError> | undefined => {
        heard()
        switch (part.type) {
          case "text-delta":
            if (part.delta.length === 0) return undefined
            onDelta()
            text += part.delta
            return Effect.map(emit({ _tag: "MessageDelta", text: part.delta }), heard)
          case "tool-call":
            // a name the model was not offered is not a tool call to report to the user, nor to run
            if (Option.isNone(options.tools.get(part.name))) {
              return Effect.zipRight(
                Effect.logWarning("the model called a tool it was not offered", { tool: part.name.slice(0, 100) }),
                Effect.fail(ModelFailure.make("MODEL_BAD_STREAM", "the model called a tool it was not offered"))
              )
            }
            toolCalls.push({ id: part.id, name: part.name, params: part.params })
            return undefined
          case "finish":
            finished = true
            return undefined
          case "error":
            // the server's own words may quote anything: the log has them, the user a fixed message
            return Effect.zipRight(
              Effect.logWarning("the model server reported an error in its stream", { error: describe(part.error) }),
              Effect.fail(ModelFailure.make("MODEL_ERROR", "the model server reported an error in its stream"))
            )
          default:
            return undefined
        }
      }
      // the parts of one batch in one step: a part with nothing to do (`onPart` gives no effect) costs
      // none, and the next part is looked at only once the one before it is done (as `Stream.runForEach` would)
      const onParts = (parts: ReadonlyArray<ModelStream.ModelPart>, from = 0): Effect.Effect<void, AgentError> => {
        for (let i = from; i < parts.length; i++) {
          const step = onPart(parts[i]!)
          if (step === undefined) continue
          return i + 1 === parts.length ? step : Effect.flatMap(step, () => onParts(parts, i + 1))
        }
        return Effect.void
      }
      // the last step must answer: it may not ask for more tools
      const read = ModelStream.forEachBatch(model, { prompt, toolkit, toolChoice: last ? "none" : "auto" }, onParts).pipe(
        // the model's errors are mapped once, on the whole read, not per part
        Effect.catchAll((error) =>
          error instanceof AgentError
            ? Effect.fail(error)
            : Effect.zipRight(Effect.logWarning("model call failed", ModelFailure.forLog(error)), Effect.fail(ModelFailure.fromAiError(error)))
        ),
        Effect.flatMap((): Effect.Effect<Reply, AgentError> =>
          finished
            ? Effect.succeed({ text, toolCalls })
            // the Responses client ends quietly on a cut connection: a missing finish is the only sign
            : ModelFailure.make("MODEL_BAD_STREAM", "the model server's stream ended before the model finished")
        )
      )
      return Effect.raceFirst(read, idleWatchdog(options.timeoutMs, () => lastSeen))
    })

  // One model call. It is sent again on a safe failure only while nothing of
  // it reached the user: a retry must never repeat a delta.
  const ask = (prompt: Prompt.Prompt, last: boolean, emit: Emit): Effect.Effect<Reply, AgentError> =>
    Effect.suspend(() => {
      let deltaSent = false
      const attempt = readReply(prompt, last, emit, () => {
        deltaSent = true
      })
      return Effect.retry(attempt, {
        schedule: retryPolicy,
        times: options.maxRetries,
        while: (error) => !deltaSent && ModelFailure.isRetryable(error)
      })
    })

  // A tool call: reported before it runs and after; a failed tool fails the run.
  const runTool = (call: ToolCall, emit: Emit): Effect.Effect<unknown, AgentError> =>
    Effect.gen(function*() {
      yield* emit({ _tag: "ToolExecuting", toolCallId: call.id, tool: call.name, input: call.params })
      const result = yield* Effect.either(options.tools.runUnknown(call.name, call.params))
      if (Either.isLeft(result)) {
        const message = result.left.message
        yield* emit({ _tag: "ToolCompleted", toolCallId: call.id, tool: call.name, output: { error: message }, ok: false })
        return yield* ModelFailure.make("TOOL_FAILED", `the tool "${call.name}" failed: ${message}`)
      }
      yield* emit({ _tag: "ToolCompleted", toolCallId: call.id, tool: call.name, output: result.right, ok: true })
      return result.right
    })

  const conversation = (request: AgentRequest, memory: Option.Option<ConversationMemory>, emit: Emit) =>
    Effect.gen(function*() {
      const threadId = request.threadId
      const thread = threadId === undefined ? Option.none() : Option.map(memory, (m) => ({ memory: m, threadId }))
      const history = Option.isSome(thread) ? yield* thread.value.memory.history(thread.value.threadId) : []
      let prompt = Prompt.make([
        ...(options.systemPrompt.length > 0 ? [{ role: "system" as const, content: options.systemPrompt }] : []),
        ...history.flatMap((turn) => [
          { role: "user" as const, content: turn.user },
          { role: "assistant" as const, content: turn.assistant }
        ]),
        { role: "user" as const, content: request.text }
      ])
      let answer = ""
      for (let step = 1;; step++) {
        const last = step >= options.maxSteps
        yield* emit({
          _tag: "Thinking",
          text: step === 1
            ? `Asking ${options.model}.`
            : `Asking ${options.model} again with the tool results (step ${step} of at most ${options.maxSteps}).`
        })
        const reply = yield* ask(prompt, last, emit)
        answer += reply.text
        if (reply.toolCalls.length === 0) break
        if (last) {
          return yield* ModelFailure.make(
            "MODEL_MAX_STEPS",
            `the model still asked for tools after ${options.maxSteps} model calls (AGENT_MAX_STEPS)`
          )
        }
        const outputs = yield* Effect.forEach(reply.toolCalls, (call) => runTool(call, emit))
        prompt = Prompt.merge(prompt, [
          {
            role: "assistant",
            content: [
              ...(reply.text.length > 0 ? [{ type: "text" as const, text: reply.text }] : []),
              ...reply.toolCalls.map((call) => ({ type: "tool-call" as const, ...call, providerExecuted: false }))
            ]
          },
          {
            role: "tool",
            content: reply.toolCalls.map((call, i) => ({
              type: "tool-result" as const,
              id: call.id,
              name: call.name,
              isFailure: false,
              result: outputs[i],
              providerExecuted: false
            }))
          }
        ])
      }
      // only a finished turn is remembered: a failed or stopped one has no answer to recall
      if (Option.isSome(thread)) {
        yield* thread.value.memory.record(thread.value.threadId, { user: request.text, assistant: answer })
      }
    })

  /** The run, each event handed to `emit` in the loop's own fiber: no mailbox, no hop per event. */
  const runForEach = (
    request: AgentRequest,
    memory: Option.Option<ConversationMemory>,
    emit: Emit
  ): Effect.Effect<void, AgentError> =>
    Effect.withSpan(conversation(request, memory, emit), "ModelAgent.run", { attributes: { "agent.model": options.model } })

  /** The run as a stream: the loop runs in a fiber of its own and hands events over through a mailbox. */
  const run = (request: AgentRequest, memory: Option.Option<ConversationMemory>): Stream.Stream<AgentEvent, AgentError> =>
    streamOf((emit) => runForEach(request, memory, emit))

  return { run, runForEach }
}

/**
 * Fails with `MODEL_TIMEOUT` once `timeoutMs` passed since `lastSeen()` (the
 * model's last part): one fiber per model call, waking when the quiet could
 * have lasted `timeoutMs` — not a race of two fibers per part
 * (`Stream.timeoutFail`), which cost more than the part's own work.
 */
const idleWatchdog = (timeoutMs: number, lastSeen: () => number): Effect.Effect<never, AgentError> =>
  Effect.clockWith((clock) => {
    const watch: Effect.Effect<never, AgentError> = Effect.suspend(() => {
      const quietFor = clock.unsafeCurrentTimeMillis() - lastSeen()
      return quietFor >= timeoutMs
        ? ModelFailure.make("MODEL_TIMEOUT", `the model server sent nothing for ${timeoutMs} ms`)
        : Effect.zipRight(Effect.sleep(Duration.millis(timeoutMs - quietFor)), watch)
    })
    return watch
  })

// An in-stream error as one line: servers send `{message}` or `{error: {message}}`.
const describe = (error: unknown): string => (findMessage(error) ?? JSON.stringify(error) ?? String(error)).slice(0, 300)

const findMessage = (value: unknown): string | undefined => {
  if (typeof value !== "object" || value === null) return undefined
  if ("message" in value && typeof value.message === "string") return value.message
  if ("error" in value) return findMessage(value.error)
  return undefined
}
