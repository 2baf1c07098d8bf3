import { Duration, Effect, Either, Layer, Stream } from "effect"
import { SwitchyardConfig } from "../Config.js"
import { Agent, type AgentEvent, AgentError, type AgentRequest } from "./Agent.js"
import type * as Tool from "./Tool.js"
import { CalculatorTool, extractExpression } from "./tools/Calculator.js"
import { ClockTool, extractTimezone, mentionsTime } from "./tools/Clock.js"

/** The name the built-in agent reports in `agent_started`. */
export const BUILTIN_AGENT_NAME = "builtin"

/**
 * The embedded default agent (PROTOCOL §7): no network, deterministic answers,
 * real tools. "what is 17 * 23" calls `calculator`; a question about the time
 * calls `clock`; anything else gets a fixed, helpful reply. Each event is
 * paced by `AGENT_STEP_MS` (or `params.step_ms`) so runs take a visible
 * moment and can be stopped. `params.fail_with: "<CODE>"` makes the run fail
 * with that code — a way to exercise failure handling end to end.
 */
export const layer: Layer.Layer<Agent, never, SwitchyardConfig> = Layer.effect(
  Agent,
  Effect.map(SwitchyardConfig, (config) => ({
    defaultName: BUILTIN_AGENT_NAME,
    run: (request: AgentRequest) => run(request, stepMs(request.params, config.agentStepMs)),
    runForEach: (request: AgentRequest, f: (event: AgentEvent) => Effect.Effect<void>) =>
      runForEach(request, stepMs(request.params, config.agentStepMs), f)
  }))
)

const stepMs = (params: Readonly<Record<string, unknown>>, fallback: number): number => {
  const value = params["step_ms"]
  return typeof value === "number" && Number.isFinite(value) ? Math.min(Math.max(0, value), 5_000) : fallback
}

/**
 * What one run says: `events` first, then what `rest` yields (a tool's result
 * and the answer) or fails with. Each event is paced: `stepMs` before it. One
 * script makes both the run's Stream and its `runForEach`, so they cannot differ.
 */
interface Script {
  readonly events: ReadonlyArray<AgentEvent>
  readonly rest: Effect.Effect<ReadonlyArray<AgentEvent>, AgentError>
}

/** One run of the built-in agent. */
export const run = (request: AgentRequest, stepMs: number): Stream.Stream<AgentEvent, AgentError> => {
  const script = scriptOf(request)
  const events = Stream.concat(Stream.fromIterable(script.events), Stream.fromIterableEffect(script.rest))
  return stepMs > 0 ? Stream.tap(events, () => Effect.sleep(Duration.millis(stepMs))) : events
}

/** `Stream.runForEach(run(request, stepMs), f)`, played by a plain Effect loop (the path runs take). */
export const runForEach = (
  request: AgentRequest,
  stepMs: number,
  f: (event: AgentEvent) => Effect.Effect<void>
): Effect.Effect<void, AgentError> =>
  Effect.suspend(() => {
    const script = scriptOf(request)
    const pause = Duration.millis(stepMs)
    // `f` is called after the pause, as the Stream hands out an event: a run stopped meanwhile never saw it
    const paced = stepMs > 0 ? (event: AgentEvent) => Effect.flatMap(Effect.sleep(pause), () => f(event)) : f
    const play = (events: ReadonlyArray<AgentEvent>) => Effect.forEach(events, paced, { discard: true })
    return Effect.zipRight(play(script.events), Effect.flatMap(script.rest, play))
  })

const nothingMore: Effect.Effect<ReadonlyArray<AgentEvent>> = Effect.succeed([])

const scriptOf = (request: AgentRequest): Script => {
  const reading: AgentEvent = { _tag: "Thinking", text: `Reading: "${preview(request.text)}"` }
  const failWith = request.params["fail_with"]
  if (typeof failWith === "string" && failWith.length > 0) {
    return {
      events: [reading, { _tag: "Thinking", text: `Failing on purpose with ${failWith}.` }],
      rest: Effect.fail(new AgentError({ code: failWith, message: "the run was asked to fail (params.fail_with)" }))
    }
  }
  const expression = extractExpression(request.text)
  if (expression !== undefined) {
    return withTool(
      reading,
      CalculatorTool,
      { expression },
      `${request.runId}-calc`,
      "This is arithmetic: I will use the calculator.",
      (output) => {
        const { value } = output as { readonly value: number }
        return `${expression} = ${formatNumber(value)}`
      }
    )
  }
  if (mentionsTime(request.text)) {
    const timezone = extractTimezone(request.text)
    return withTool(
      reading,
      ClockTool,
      timezone === undefined ? {} : { timezone },
      `${request.runId}-clock`,
      "You asked about the time: I will check the clock.",
      (output) => {
        const { text, timezone } = output as { readonly text: string; readonly timezone: string }
        return `It is ${text} (${timezone}).`
      }
    )
  }
  const text = request.text.trim().length === 0
    ? "Hello! I am the built-in Switchyard agent. Ask me to calculate something, like \"what is 17 * 23\", or for the time."
    : `You said: "${preview(request.text)}". I am the built-in Switchyard agent: I can calculate (try "what is 17 * 23") and tell the time.`
  return { events: [reading, ...answer(text)], rest: nothingMore }
}

// thinking → tool_executing → (the tool runs) → tool_completed → the answer
const withTool = (
  reading: AgentEvent,
  tool: Tool.Any,
  input: Readonly<Record<string, unknown>>,
  toolCallId: string,
  why: string,
  answerOf: (output: unknown) => string
): Script => ({
  events: [reading, { _tag: "Thinking", text: why }, { _tag: "ToolExecuting", toolCallId, tool: tool.name, input }],
  rest: Effect.map(Effect.either(tool.runUnknown(input)), (result) =>
    Either.match(result, {
      onLeft: (error): ReadonlyArray<AgentEvent> => [
        { _tag: "ToolCompleted", toolCallId, tool: tool.name, output: { error: error.message }, ok: false },
        ...answer(`I could not use the ${tool.name}: ${error.message}`)
      ],
      onRight: (output): ReadonlyArray<AgentEvent> => [
        { _tag: "ToolCompleted", toolCallId, tool: tool.name, output, ok: true },
        ...answer(answerOf(output))
      ]
    }))
})

// The answer as a few deltas, the way a model streams it.
const answer = (text: string): Array<AgentEvent> =>
  chunks(text).map((chunk): AgentEvent => ({ _tag: "MessageDelta", text: chunk }))

/** Splits a text into word-sized chunks whose concatenation is the text. */
export const chunks = (text: string, wordsPerChunk = 4): Array<string> => {
  const words = text.match(/\S+\s*/g) ?? [text]
  const out: Array<string> = []
  for (let i = 0; i < words.length; i += wordsPerChunk) out.push(words.slice(i, i + wordsPerChunk).join(""))
  const leading = text.match(/^\s*/)?.[0] ?? ""
  if (leading.length > 0 && out.length > 0) out[0] = leading + out[0]
  return out.length === 0 ? [text] : out
}

const formatNumber = (value: number): string =>
  Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(12)))

const preview = (text: string): string => {
  const oneLine = text.replace(/\s+/g, " ").trim()
  return oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine
}
