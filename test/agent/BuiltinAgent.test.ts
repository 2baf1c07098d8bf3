import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Fiber, Stream, TestClock } from "effect"
import type { AgentEvent, AgentRequest } from "../../src/agent/Agent.js"
import * as BuiltinAgent from "../../src/agent/BuiltinAgent.js"

const request = (text: string, params: Record<string, unknown> = {}): AgentRequest => ({
  runId: "r-test",
  userId: "u1",
  text,
  agent: undefined,
  threadId: undefined,
  params
})

/** What `runForEach` hands out, and how it ended. */
const played = (req: AgentRequest, stepMs: number) =>
  Effect.gen(function*() {
    const events: Array<AgentEvent> = []
    const exit = yield* Effect.either(BuiltinAgent.runForEach(req, stepMs, (event) => Effect.sync(() => void events.push(event))))
    return { events, exit }
  })

/** What the run's Stream emits, and how it ended. */
const streamed = (req: AgentRequest, stepMs: number) =>
  Effect.gen(function*() {
    const events: Array<AgentEvent> = []
    const exit = yield* Effect.either(Stream.runForEach(BuiltinAgent.run(req, stepMs), (event) => Effect.sync(() => void events.push(event))))
    return { events, exit }
  })

describe("BuiltinAgent.runForEach", () => {
  const cases: ReadonlyArray<readonly [string, AgentRequest]> = [
    ["arithmetic (calculator)", request("what is 17 * 23")],
    ["a failing tool call", request("what is 1 / 0")],
    ["the time (clock)", request("what time is it in Europe/Paris?")],
    ["plain chat", request("hello there")],
    ["an empty message", request("")],
    ["params.fail_with", request("what is 2 + 2", { fail_with: "MODEL_ERROR" })]
  ]
  for (const [name, req] of cases) {
    it.effect(`plays the same events as the run's Stream: ${name}`, () =>
      Effect.gen(function*() {
        const viaStream = yield* streamed(req, 0)
        const viaLoop = yield* played(req, 0)
        expect(viaLoop.events).toEqual(viaStream.events)
        expect(viaLoop.exit).toEqual(viaStream.exit)
        expect(viaLoop.events.length).toBeGreaterThan(0)
      }))
  }

  it.effect("paces every event: stepMs before each one", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const fiber = yield* Effect.fork(
        BuiltinAgent.runForEach(request("what is 17 * 23"), 20, (event) => Effect.sync(() => void seen.push(event._tag)))
      )
      yield* TestClock.adjust("19 millis")
      expect(seen).toEqual([])
      yield* TestClock.adjust("1 millis")
      expect(seen).toEqual(["Thinking"])
      yield* TestClock.adjust("60 millis")
      expect(seen).toEqual(["Thinking", "Thinking", "ToolExecuting", "ToolCompleted"])
      yield* TestClock.adjust("40 millis")
      yield* Fiber.join(fiber)
      expect(seen).toEqual(["Thinking", "Thinking", "ToolExecuting", "ToolCompleted", "MessageDelta", "MessageDelta"])
    }))

  it.effect("stops between events when interrupted: the next event is never handed out", () =>
    Effect.gen(function*() {
      // `f` itself is counted, not the Effect it returns: a run counts what it is handed (tools, text)
      const handed: Array<AgentEvent> = []
      const fiber = yield* Effect.fork(
        BuiltinAgent.runForEach(request("hello"), 20, (event) => {
          handed.push(event)
          return Effect.void
        })
      )
      yield* TestClock.adjust("20 millis")
      expect(handed).toHaveLength(1)
      yield* Fiber.interrupt(fiber)
      yield* TestClock.adjust("1 second")
      expect(handed).toHaveLength(1)
      const all = yield* Stream.runCollect(BuiltinAgent.run(request("hello"), 0))
      expect(Chunk.size(all)).toBeGreaterThan(1)
    }))

  it.effect("fails with the AgentError of params.fail_with after its events", () =>
    Effect.gen(function*() {
      const { events, exit } = yield* played(request("x", { fail_with: "QUOTA" }), 0)
      expect(events.map((event) => event._tag)).toEqual(["Thinking", "Thinking"])
      expect(Either.isLeft(exit) && exit.left.code).toBe("QUOTA")
    }))
})

describe("BuiltinAgent.decodeParams", () => {
  it("accepts params in bounds and ignores other keys", () => {
    expect(Either.isRight(BuiltinAgent.decodeParams({}))).toBe(true)
    expect(BuiltinAgent.decodeParams({ step_ms: BuiltinAgent.MAX_STEP_MS, fail_with: "MODEL_DOWN", other: [1] }))
      .toEqual(Either.right({ step_ms: BuiltinAgent.MAX_STEP_MS, fail_with: "MODEL_DOWN" }))
  })

  it("refuses a pause above MAX_STEP_MS, a negative one, and codes that are long or not codes", () => {
    for (
      const params of [
        { step_ms: BuiltinAgent.MAX_STEP_MS + 1 },
        { step_ms: -1 },
        { fail_with: "A".repeat(BuiltinAgent.MAX_FAIL_CODE_LENGTH + 1) },
        { fail_with: "" },
        { fail_with: "lower case" }
      ]
    ) expect(Either.isLeft(BuiltinAgent.decodeParams(params)), JSON.stringify(params).slice(0, 60)).toBe(true)
  })
})
