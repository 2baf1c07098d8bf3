import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Logger, LogLevel, Option, Schema, type Scope, Stream, TestClock } from "effect"
import { Agent, type AgentEvent } from "../../src/agent/Agent.js"
import { userMessage } from "../../src/handlers/Chat.js"
import * as Migration from "../../src/migration/Migration.js"
import { type ControlSettings, MigrationControl } from "../../src/migration/MigrationControl.js"
import type { Stage } from "../../src/migration/Stage.js"
import { FrameError } from "../../src/protocol/FrameError.js"
import { extensionEvent } from "../../src/protocol/ExtensionEvent.js"
import { runIdOf } from "../../src/protocol/StreamEvents.js"
import type { Outcome } from "../../src/pipeline/Dispatcher.js"
import * as Handler from "../../src/handlers/Handler.js"
import { Emitter } from "../../src/state/Emitter.js"
import { makeHarness } from "../support/FrameHarness.js"

/** A test agent: thinks, says the text back, done. */
const EchoAgent = Layer.succeed(Agent, {
  defaultName: "echo",
  run: (request) =>
    Stream.make<Array<AgentEvent>>({ _tag: "Thinking", text: "hm" }, { _tag: "MessageDelta", text: request.text })
})

/** How the test's next implementation behaves, and how often each side ran. */
interface Sides {
  next: "ok" | "fail" | "hang"
  legacyCalls: number
  nextCalls: number
}

/**
 * The `echo` type: a Promise-based legacy (the shape a team brings along) and
 * an Effect next. Each emits one `echoed` event and answers `{text, by}`, so
 * the user's frames tell who served.
 */
const echo = (sides: Sides) =>
  Migration.handler({
    type: "echo",
    legacy: async (_userId, payload, context) => {
      sides.legacyCalls++
      const { text } = payload as { text: string }
      context.emit(extensionEvent("echoed", { text, by: "legacy" }))
      return { text, by: "legacy" }
    },
    next: Handler.make("echo", {
      payload: Schema.Struct({ text: Schema.String }),
      success: Schema.Struct({ text: Schema.String, by: Schema.String }),
      handle: ({ text }) =>
        Effect.gen(function*() {
          sides.nextCalls++
          if (sides.next === "fail") return yield* FrameError.handlerFailed("next is broken")
          if (sides.next === "hang") return yield* Effect.never
          yield* Effect.flatMap(Emitter, (emitter) => emitter.emit(extensionEvent("echoed", { text, by: "next" })))
          return { text, by: "next" }
        })
    })
  })

const setup = (stage: Stage, options: { readonly canaryPercent?: number; readonly next?: Sides["next"] } = {}) =>
  Effect.gen(function*() {
    const sides: Sides = { next: options.next ?? "ok", legacyCalls: 0, nextCalls: 0 }
    const h = yield* makeHarness([echo(sides)], EchoAgent, "u1")
    const control = yield* MigrationControl
    yield* control.setStage("echo", stage, options.canaryPercent)
    const entry = Effect.map(control.details("echo"), Option.getOrThrow)
    return { h, sides, control, entry }
  })

const resultOf = (outcome: Outcome) => outcome.status === "error" ? outcome.error.code : outcome.result

const waitUntil = (check: Effect.Effect<boolean>) =>
  Effect.gen(function*() {
    while (!(yield* check)) yield* Effect.sleep("2 millis")
  })

const controlLayer = (settings: Partial<ControlSettings> = {}, types: ReadonlyArray<string> = ["echo"]) =>
  <E>(self: Effect.Effect<void, E, MigrationControl | Scope.Scope>) =>
    self.pipe(
      Effect.provide(MigrationControl.layerWith({ loggingEnabled: false, ...settings }, types)),
      // stage changes and breaker transitions log at info: keep the test output quiet
      Logger.withMinimumLogLevel(LogLevel.Warning)
    )

describe("stage matrix (mocked layers): who serves, who shadows, what the user gets, what is counted", () => {
  const rows: ReadonlyArray<{
    readonly stage: Stage
    readonly canaryPercent?: number
    readonly served: "legacy" | "next"
    readonly legacyCalls: number
    readonly nextCalls: number
    readonly compared: number
  }> = [
    { stage: "legacy_only", served: "legacy", legacyCalls: 1, nextCalls: 0, compared: 0 },
    { stage: "shadow", served: "legacy", legacyCalls: 1, nextCalls: 1, compared: 1 },
    { stage: "canary", canaryPercent: 100, served: "next", legacyCalls: 0, nextCalls: 1, compared: 0 },
    { stage: "canary", canaryPercent: 0, served: "legacy", legacyCalls: 1, nextCalls: 0, compared: 0 },
    { stage: "next_primary", served: "next", legacyCalls: 0, nextCalls: 1, compared: 0 },
    { stage: "next_only", served: "next", legacyCalls: 0, nextCalls: 1, compared: 0 }
  ]

  for (const row of rows) {
    const name = row.canaryPercent === undefined ? row.stage : `${row.stage} at ${row.canaryPercent}%`
    it.scopedLive(`${name}: ${row.served} serves${row.compared > 0 ? ", next shadows" : ""}`, () =>
      Effect.gen(function*() {
        const { entry, h, sides } = yield* setup(row.stage, row.canaryPercent === undefined ? {} : {
          canaryPercent: row.canaryPercent
        })
        const outcome = yield* h.execute({ type: "echo", id: "e1", payload: { text: "hi" } })
        expect(resultOf(outcome)).toEqual({ text: "hi", by: row.served })
        yield* waitUntil(Effect.map(entry, (e) => e.shadow.compared === row.compared && h.events.length > 0))
        // the user receives the serving side's events only
        expect(h.events).toEqual([{ type: "echoed", payload: { text: "hi", by: row.served } }])
        expect({ legacy: sides.legacyCalls, next: sides.nextCalls }).toEqual({
          legacy: row.legacyCalls,
          next: row.nextCalls
        })
        const e = yield* entry
        expect(e.stage).toBe(row.stage)
        expect(e.stats.legacy).toMatchObject({ count: row.legacyCalls, errors: 0 })
        expect(e.stats.next).toMatchObject({ count: row.nextCalls, errors: 0 })
        expect(e.stats.fallbacks).toBe(0)
        // the two sides answer differently (`by`), so each comparison is a mismatch
        expect(e.stats.shadow_mismatches).toBe(row.compared)
        if (row.compared > 0) {
          expect(e.shadow.recent_mismatches[0]).toMatchObject({
            user_id: "u1",
            frame_id: "e1",
            difference: "result.by: \"legacy\" vs \"next\"",
            legacy: { _tag: "Success", result: { by: "legacy" } },
            next: { _tag: "Success", result: { by: "next" }, events: [{ type: "echoed" }] }
          })
        }
      }).pipe(controlLayer()))
  }
})

describe("stage matrix with a failing next", () => {
  it.scopedLive("next_primary falls back to legacy and counts the fallback", () =>
    Effect.gen(function*() {
      const { entry, h, sides } = yield* setup("next_primary", { next: "fail" })
      const outcome = yield* h.execute({ type: "echo", id: "e1", payload: { text: "hi" } })
      expect(resultOf(outcome)).toEqual({ text: "hi", by: "legacy" })
      yield* waitUntil(Effect.sync(() => h.events.length > 0))
      expect(h.events).toEqual([{ type: "echoed", payload: { text: "hi", by: "legacy" } }])
      expect(sides).toMatchObject({ legacyCalls: 1, nextCalls: 1 })
      const e = yield* entry
      expect(e.stats).toMatchObject({ fallbacks: 1, next: { count: 1, errors: 1 }, legacy: { count: 1, errors: 0 } })
    }).pipe(controlLayer()))

  it.scopedLive("next_primary without fallback answers next's error; legacy never runs", () =>
    Effect.gen(function*() {
      const { entry, h, sides } = yield* setup("next_primary", { next: "fail" })
      const outcome = yield* h.execute({ type: "echo", id: "e1", payload: { text: "hi" } })
      expect(resultOf(outcome)).toBe("HANDLER_FAILED")
      expect(sides.legacyCalls).toBe(0)
      expect((yield* entry).stats.fallbacks).toBe(0)
    }).pipe(controlLayer({ fallbackEnabled: false })))

  for (const stage of ["next_only", "canary"] as const) {
    it.scopedLive(`${stage} has no fallback: next's error reaches the user`, () =>
      Effect.gen(function*() {
        const { h, sides } = yield* setup(stage, { next: "fail", canaryPercent: 100 })
        expect(resultOf(yield* h.execute({ type: "echo", id: "e1", payload: { text: "hi" } }))).toBe("HANDLER_FAILED")
        expect(sides.legacyCalls).toBe(0)
      }).pipe(controlLayer()))
  }

  it.scopedLive("shadow: the user gets legacy; next's failure is a mismatch", () =>
    Effect.gen(function*() {
      const { entry, h } = yield* setup("shadow", { next: "fail" })
      const outcome = yield* h.execute({ type: "echo", id: "e1", payload: { text: "hi" } })
      expect(resultOf(outcome)).toEqual({ text: "hi", by: "legacy" })
      yield* waitUntil(Effect.map(entry, (e) => e.shadow.compared === 1))
      const e = yield* entry
      expect(e.stats).toMatchObject({ shadow_mismatches: 1, next: { count: 1, errors: 1 } })
      expect(e.shadow.recent_mismatches[0]?.difference).toBe("legacy succeeded, next failed with HANDLER_FAILED")
    }).pipe(controlLayer()))

  it.scopedLive("a client error is answered as is: no fallback, not an implementation error", () =>
    Effect.gen(function*() {
      const { entry, h, sides } = yield* setup("next_primary")
      const outcome = yield* h.execute({ type: "echo", id: "e1", payload: { text: 42 } })
      expect(resultOf(outcome)).toBe("INVALID_MESSAGE")
      expect(sides.legacyCalls).toBe(0)
      const e = yield* entry
      expect(e.stats).toMatchObject({ fallbacks: 0, next: { count: 1, errors: 0 } })
      expect(e.breakers.next).toBe("closed")
    }).pipe(controlLayer()))
})

describe("resilience under a migrating type (TestClock)", () => {
  it.scoped("next's breaker opens after 5 consecutive failures: legacy serves without next running, then a probe closes it", () =>
    Effect.gen(function*() {
      const { entry, h, sides } = yield* setup("next_primary", { next: "fail" })
      for (let i = 0; i < 5; i++) {
        expect(resultOf(yield* h.execute({ type: "echo", payload: { text: "hi" } }))).toMatchObject({ by: "legacy" })
      }
      expect(sides.nextCalls).toBe(5)
      expect((yield* entry)).toMatchObject({ breaker: "open", breakers: { next: "open", legacy: "closed" } })
      // open: next is not even tried
      expect(resultOf(yield* h.execute({ type: "echo", payload: { text: "hi" } }))).toMatchObject({ by: "legacy" })
      expect(sides.nextCalls).toBe(5)
      expect((yield* entry).stats.fallbacks).toBe(6)
      // after the reset timeout one probe goes through; its success closes the breaker
      yield* TestClock.adjust("60 seconds")
      expect((yield* entry).breaker).toBe("half_open")
      sides.next = "ok"
      expect(resultOf(yield* h.execute({ type: "echo", payload: { text: "hi" } }))).toMatchObject({ by: "next" })
      expect(sides.nextCalls).toBe(6)
      expect((yield* entry).breaker).toBe("closed")
    }).pipe(controlLayer({ rollbackOnError: false })))

  it.scoped("an open breaker without fallback answers UNAVAILABLE", () =>
    Effect.gen(function*() {
      const { h } = yield* setup("next_only", { next: "fail" })
      for (let i = 0; i < 5; i++) yield* h.execute({ type: "echo", payload: { text: "hi" } })
      const outcome = yield* h.execute({ type: "echo", id: "x", payload: { text: "hi" } })
      expect(outcome).toMatchObject({ status: "error", error: { code: "UNAVAILABLE" } })
    }).pipe(controlLayer({ rollbackOnError: false })))

  it.scoped("a next that does not answer times out (TIMEOUT) and legacy serves instead", () =>
    Effect.gen(function*() {
      const { entry, h } = yield* setup("next_primary", { next: "hang" })
      const fiber = yield* Effect.fork(h.execute({ type: "echo", id: "e1", payload: { text: "hi" } }))
      yield* TestClock.adjust("1 second")
      expect(resultOf(yield* Fiber.join(fiber))).toEqual({ text: "hi", by: "legacy" })
      expect((yield* entry).stats).toMatchObject({ fallbacks: 1, next: { count: 1, errors: 1 } })
    }).pipe(controlLayer({ handlerTimeoutMs: 1000 })))

  it.scoped("next_only: the timeout reaches the user as TIMEOUT", () =>
    Effect.gen(function*() {
      const { h } = yield* setup("next_only", { next: "hang" })
      const fiber = yield* Effect.fork(h.execute({ type: "echo", id: "e1", payload: { text: "hi" } }))
      yield* TestClock.adjust("1 second")
      expect(resultOf(yield* Fiber.join(fiber))).toBe("TIMEOUT")
    }).pipe(controlLayer({ handlerTimeoutMs: 1000 })))
})

describe("shadow isolation of a streaming type (user_message)", () => {
  /** A legacy chat backend that answers like the built-in handler with the echo agent would. */
  const legacyChat = Migration.handler({
    type: "user_message",
    legacy: async (_userId, payload, context) => {
      const { text } = payload as { text: string }
      const runId = "legacy-run-1"
      context.emit({ type: "agent_started", run_id: runId, payload: { run_id: runId, agent: "echo" } })
      context.emit({ type: "agent_thinking", run_id: runId, payload: { text: "hm" } })
      context.emit({ type: "agent_message_delta", run_id: runId, payload: { text } })
      context.emit({
        type: "agent_completed",
        run_id: runId,
        payload: { run_id: runId, status: "completed", response: { text } }
      })
      return { run_id: runId }
    },
    next: userMessage
  })

  it.scopedLive("the shadow run never reaches the user's stream or run list, and its events are compared", () =>
    Effect.gen(function*() {
      const h = yield* makeHarness([legacyChat], EchoAgent, "u1")
      const control = yield* MigrationControl
      yield* control.setStage("user_message", "shadow")
      const outcome = yield* h.execute({ type: "user_message", id: "m1", payload: { text: "hello" } })
      expect(resultOf(outcome)).toEqual({ run_id: "legacy-run-1" })
      const details = Effect.map(control.details("user_message"), Option.getOrThrow)
      yield* waitUntil(Effect.map(details, (d) => d.shadow.compared === 1))
      // the user saw legacy's run only
      expect(h.events.map((e) => [e.type, runIdOf(e)])).toEqual([
        ["agent_started", "legacy-run-1"],
        ["agent_thinking", "legacy-run-1"],
        ["agent_message_delta", "legacy-run-1"],
        ["agent_completed", "legacy-run-1"]
      ])
      // no run of the shadow in the user's registry, nothing on the user's socket or stream
      expect(h.runs.all).toEqual([])
      expect(h.socket.sent).toEqual([])
      expect(h.stream.lastSeq).toBe(0)
      // the built-in run matched legacy's structurally: ids differ, nothing else
      const d = yield* details
      expect(d.stats).toMatchObject({ shadow_mismatches: 0, next: { count: 1, errors: 0 } })
    }).pipe(controlLayer({}, ["user_message"])))
})
