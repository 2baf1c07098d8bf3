import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Layer, Stream } from "effect"
import { Agent, AgentError, type AgentEvent } from "../../src/agent/Agent.js"
import { BuiltinHandlers } from "../../src/handlers/index.js"
import { makeHarness } from "../support/FrameHarness.js"
import { runIdOf } from "../../src/protocol/StreamEvents.js"

/** A test agent: thinks, says the text back, done — or fails when asked. */
const EchoAgent = Layer.succeed(Agent, {
  defaultName: "echo",
  run: (request) =>
    request.text === "fail"
      ? Stream.fail(new AgentError({ code: "MODEL_DOWN", message: "no model" }))
      : Stream.make<Array<AgentEvent>>({ _tag: "Thinking", text: "hm" }, { _tag: "MessageDelta", text: request.text })
})

/** An agent whose runs never end until interrupted. */
const StuckAgent = (started: Deferred.Deferred<void>) =>
  Layer.succeed(Agent, {
    defaultName: "stuck",
    run: () =>
      Stream.concat(
        Stream.make<Array<AgentEvent>>({ _tag: "Thinking", text: "..." }),
        Stream.fromEffect(Effect.zipRight(Deferred.succeed(started, undefined), Effect.never))
      )
  })

const waitUntil = (check: () => boolean) =>
  Effect.gen(function*() {
    while (!check()) yield* Effect.sleep("1 millis")
  })

describe("built-in handlers (mocked Agent, capturing Emitter)", () => {
  it.scopedLive("user_message starts a run whose events follow the ack, in order", () =>
    Effect.gen(function*() {
      const h = yield* makeHarness(BuiltinHandlers, EchoAgent)
      const outcome = yield* h.execute({ type: "user_message", id: "m1", payload: { text: "hello", thread_id: "t1" } })
      expect(outcome.status).toBe("ok")
      const runId = (outcome as { result: { run_id: string } }).result.run_id
      yield* waitUntil(() => h.events.some((e) => e.type === "agent_completed"))
      expect(h.events.map((e) => e.type)).toEqual([
        "agent_started",
        "agent_thinking",
        "agent_message_delta",
        "agent_completed"
      ])
      expect(h.events.every((e) => runIdOf(e) === runId)).toBe(true)
      expect(h.events[0]!.payload).toEqual({ run_id: runId, thread_id: "t1", agent: "echo" })
      expect(h.events[3]!.payload).toEqual({ run_id: runId, status: "completed", response: { text: "hello" } })
      expect(h.runs.get(runId)?.status).toBe("completed")
    }))

  it.scopedLive("a failing agent ends the run with agent_completed failed and its code", () =>
    Effect.gen(function*() {
      const h = yield* makeHarness(BuiltinHandlers, EchoAgent)
      yield* h.execute({ type: "start_agent", payload: { text: "fail" } })
      yield* waitUntil(() => h.events.some((e) => e.type === "agent_completed"))
      expect(h.events.at(-1)!.payload).toMatchObject({ status: "failed", error: { code: "MODEL_DOWN" } })
    }))

  it.scopedLive("agent_request is an alias of start_agent", () =>
    Effect.gen(function*() {
      const h = yield* makeHarness(BuiltinHandlers, EchoAgent)
      const outcome = yield* h.execute({ type: "agent_request", id: "a", payload: { text: "x", agent: "named" } })
      expect(outcome.status).toBe("ok")
      yield* waitUntil(() => h.events.length > 0)
      expect(h.events[0]!.payload).toMatchObject({ agent: "named" })
    }))

  it.scopedLive("stop_agent cancels a running run; the cancelled event comes after the stop is answered", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const h = yield* makeHarness(BuiltinHandlers, StuckAgent(started))
      const outcome = yield* h.execute({ type: "user_message", payload: { text: "go" } })
      const runId = (outcome as { result: { run_id: string } }).result.run_id
      yield* Deferred.await(started)
      const stop = yield* h.execute({ type: "stop_agent", id: "s", payload: { run_id: runId } })
      expect(stop).toMatchObject({ status: "ok", result: { run_id: runId, stopped: true } })
      yield* waitUntil(() => h.events.some((e) => e.type === "agent_completed"))
      expect(h.events.at(-1)!.payload).toEqual({ run_id: runId, status: "cancelled" })
      const again = yield* h.execute({ type: "stop_agent", payload: { run_id: runId } })
      expect(again).toMatchObject({ status: "ok", result: { stopped: false } })
    }))

  it.scoped("stop_agent of an unknown run is NOT_FOUND", () =>
    Effect.gen(function*() {
      const h = yield* makeHarness(BuiltinHandlers, EchoAgent)
      const outcome = yield* h.execute({ type: "stop_agent", payload: { run_id: "r-nope" } })
      expect(outcome).toMatchObject({ status: "error", error: { code: "NOT_FOUND" } })
    }))

  it.scoped("a repeated id is answered duplicate with the first result and starts no second run", () =>
    Effect.gen(function*() {
      const h = yield* makeHarness(BuiltinHandlers, EchoAgent)
      const first = yield* h.execute({ type: "user_message", id: "same", payload: { text: "a" } })
      const second = yield* h.execute({ type: "user_message", id: "same", payload: { text: "a" } })
      expect(second).toEqual({ ...first, status: "duplicate" })
      expect(h.runs.all.length).toBe(1)
    }))

  it.scoped("an error is not remembered: the same id is processed again", () =>
    Effect.gen(function*() {
      const h = yield* makeHarness(BuiltinHandlers, EchoAgent)
      const bad = yield* h.execute({ type: "user_message", id: "x", payload: { text: "" } })
      expect(bad).toMatchObject({ status: "error", error: { code: "INVALID_MESSAGE", details: { path: ["payload", "text"] } } })
      const good = yield* h.execute({ type: "user_message", id: "x", payload: { text: "ok" } })
      expect(good.status).toBe("ok")
    }))

  it.scoped("an unclaimed type is UNKNOWN_TYPE", () =>
    Effect.gen(function*() {
      const h = yield* makeHarness(BuiltinHandlers, EchoAgent)
      expect(yield* h.execute({ type: "teleport", id: "t" })).toMatchObject({
        status: "error",
        error: { code: "UNKNOWN_TYPE" }
      })
    }))

  it.scoped("typing reaches the user's other connections only, with the sender's connection id", () =>
    Effect.gen(function*() {
      const h = yield* makeHarness(BuiltinHandlers, EchoAgent)
      const other = h.addConnection("c2")
      expect(yield* h.execute({ type: "typing", id: "ty", payload: { is_typing: true, thread_id: "t" } })).toMatchObject({
        status: "ok",
        result: {}
      })
      expect(h.socket.frames).toEqual([])
      expect(other.frames).toEqual([
        expect.objectContaining({ type: "typing", payload: { is_typing: true, thread_id: "t", connection_id: "c1" } })
      ])
      expect(other.frames[0]!.seq).toBeUndefined()
    }))

  it.scoped("batch processes in order, dedupes inner ids and reports each result", () =>
    Effect.gen(function*() {
      const h = yield* makeHarness(BuiltinHandlers, EchoAgent)
      const outcome = yield* h.execute({
        type: "batch",
        id: "b1",
        payload: {
          messages: [
            { type: "typing", id: "i1", payload: { is_typing: true } },
            { type: "typing", id: "i1", payload: { is_typing: true } },
            { type: "nope", id: "i2" },
            { type: "typing" },
            "garbage"
          ]
        }
      })
      expect(outcome).toEqual({
        status: "ok",
        reply: "ack",
        result: {
          results: [
            { id: "i1", status: "ok", result: {} },
            { id: "i1", status: "duplicate", result: {} },
            { id: "i2", status: "error", code: "UNKNOWN_TYPE" },
            { status: "error", code: "INVALID_MESSAGE" },
            { status: "error", code: "INVALID_MESSAGE" }
          ]
        }
      })
    }))

  it.scoped("a nested batch, or one of 0 or 101 frames, is one INVALID_MESSAGE", () =>
    Effect.gen(function*() {
      const h = yield* makeHarness(BuiltinHandlers, EchoAgent)
      const nested = yield* h.execute({
        type: "batch",
        payload: { messages: [{ type: "ping" }, { type: "batch", payload: { messages: [{ type: "ping" }] } }] }
      })
      expect(nested).toMatchObject({ status: "error", error: { code: "INVALID_MESSAGE", details: { path: ["payload", "messages", 1, "type"] } } })
      for (const count of [0, 101]) {
        const messages = Array.from({ length: count }, () => ({ type: "ping" }))
        expect(yield* h.execute({ type: "batch", payload: { messages } })).toMatchObject({
          status: "error",
          error: { code: "INVALID_MESSAGE" }
        })
      }
    }))

  it.scoped("error reports are acked; disconnect closes with 1000 after its ack", () =>
    Effect.gen(function*() {
      const h = yield* makeHarness(BuiltinHandlers, EchoAgent)
      expect(yield* h.execute({ type: "error", id: "e", payload: { message: "boom" } })).toMatchObject({ status: "ok" })
      expect(yield* h.execute({ type: "disconnect", id: "d" })).toMatchObject({ status: "ok", result: {} })
      expect(h.socket.closedWith?.code).toBe(1000)
    }))

  it.scoped("while draining, new runs are refused with UNAVAILABLE", () =>
    Effect.gen(function*() {
      const h = yield* makeHarness(BuiltinHandlers, EchoAgent)
      h.lifecycle.draining = true
      expect(yield* h.execute({ type: "user_message", payload: { text: "x" } })).toMatchObject({
        status: "error",
        error: { code: "UNAVAILABLE" }
      })
    }))
})
