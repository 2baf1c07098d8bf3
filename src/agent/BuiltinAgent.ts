import { Duration, Effect, Either, Layer, type ParseResult, Schema, Stream } from "effect"
import { Agent, type AgentEvent, AgentError, type AgentRequest } from "./Agent.js"
import { AgentSettings } from "./AgentSettings.js"
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
 * with that code — a way to exercise failure handling end to end. Params
 * outside `BuiltinParams` are refused before the run starts (`decodeParams`).
 */
export const layer: Layer.Layer<Agent, never, AgentSettings> = Layer.effect(
  Agent,
  Effect.map(AgentSettings, (config) => ({
    defaultName: BUILTIN_AGENT_NAME,
    decodeParams,
    run: (request: AgentRequest) =>
      Either.match(decodeParams(request.params), {
        onLeft: (error) => Stream.fail(invalidParams(error)),
        onRight: (params) => run(request, params.step_ms ?? config.agentStepMs)
      }),
    runForEach: (request: AgentRequest, f: (event: AgentEvent) => Effect.Effect<void>) =>
      Either.match(decodeParams(request.params), {
        onLeft: (error) => Effect.fail(invalidParams(error)),
        onRight: (params) => runForEach(request, params.step_ms ?? config.agentStepMs, f)
      })
  }))
)

/** The longest pause `params.step_ms` may ask for between two events (a run has about 8). */
export const MAX_STEP_MS = 500

/** The longest `params.fail_with` code. */
export const MAX_FAIL_CODE_LENGTH = 64

/**
 * The test parameters of a run (`start_agent {params}`): bounded, because a
 * client chooses them — a pause of minutes per event would hold a run slot for
 * ever, and a long code would be copied into every event that names it. Other
 * keys are ignored.
 */
export const BuiltinParams = Schema.Struct({
  step_ms: Schema.optional(
    Schema.Number.pipe(Schema.between(0, MAX_STEP_MS)).annotations({
      description: `a number of milliseconds from 0 to ${MAX_STEP_MS}`
    })
  ),
  fail_with: Schema.optional(
    Schema.String.pipe(
      Schema.maxLength(MAX_FAIL_CODE_LENGTH), // before the pattern: a long string is refused unread
      Schema.pattern(/^[A-Z][A-Z0-9_]*$/)
    ).annotations({
      description: `an error code: A-Z, 0-9 and _, starting with a letter, at most ${MAX_FAIL_CODE_LENGTH} characters`
    })
  )
})

/** Decodes a run's `params` with `BuiltinParams`. */
export const decodeParams: (params: unknown) => Either.Either<typeof BuiltinParams.Type, ParseResult.ParseError> =
  Schema.decodeUnknownEither(BuiltinParams)

// only an embedder calling the agent directly gets here: the chat handlers refuse bad params first
const invalidParams = (error: ParseResult.ParseError): AgentError =>
  new AgentError({ code: "INVALID_PARAMS", message: `params: ${error.message.slice(0, 300)}` })

/**
 * The longest text the agent reads (the longest `user_message`): whatever an
 * embedder passes, the parsers below never see more.
 */
export const MAX_TEXT_LENGTH = 32_000

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
  // cap first, then parse (each parser below is linear in what it reads)
  const text = request.text.length > MAX_TEXT_LENGTH ? request.text.slice(0, MAX_TEXT_LENGTH) : request.text
  const reading: AgentEvent = { _tag: "Thinking", text: `Reading: "${preview(text)}"` }
  // params out of bounds were refused before the run (or failed it, in the layer): none honoured here
  const failWith = Either.getOrUndefined(decodeParams(request.params))?.fail_with
  if (failWith !== undefined) {
    return {
      events: [reading, { _tag: "Thinking", text: `Failing on purpose with ${failWith}.` }],
      rest: Effect.fail(new AgentError({ code: failWith, message: "the run was asked to fail (params.fail_with)" }))
    }
  }
  const expression = extractExpression(text)
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
  if (mentionsTime(text)) {
    const timezone = extractTimezone(text)
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
  const reply = text.trim().length === 0
    ? "Hello! I am the built-in Switchyard agent. Ask me to calculate something, like \"what is 17 * 23\", or for the time."
    : `You said: "${preview(text)}". I am the built-in Switchyard agent: I can calculate (try "what is 17 * 23") and tell the time.`
  return { events: [reading, ...answer(reply)], rest: nothingMore }
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

// what is shown of a message: its start, blanks collapsed; only a bounded prefix is read
const PREVIEW_READ = 1_000
const preview = (text: string): string => {
  const cut = text.length > PREVIEW_READ
  const oneLine = (cut ? text.slice(0, PREVIEW_READ) : text).replace(/\s+/g, " ").trim()
  return oneLine.length > 80 || cut ? `${oneLine.slice(0, 77)}...` : oneLine
}
