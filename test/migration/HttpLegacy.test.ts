import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import { Agent } from "../../src/agent/Agent.js"
import * as HttpLegacy from "../../src/migration/HttpLegacy.js"
import type { Outcome } from "../../src/pipeline/Dispatcher.js"
import { makeHarness } from "../support/FrameHarness.js"
import { type FakeLegacyBackend, startFakeLegacyBackend } from "../support/FakeLegacyBackend.js"

const NoAgent = Layer.succeed(Agent, { defaultName: "none", run: () => Stream.empty })

const waitUntil = (check: () => boolean) =>
  Effect.gen(function*() {
    while (!check()) yield* Effect.sleep("2 millis")
  })

describe("HttpLegacy: the remote legacy backend of PROTOCOL §8", () => {
  let backend: FakeLegacyBackend
  beforeAll(async () => {
    backend = await startFakeLegacyBackend()
  })
  afterAll(() => backend.close())

  const harness = (options: Partial<HttpLegacy.Options> = {}) =>
    makeHarness(
      [HttpLegacy.handler("quote", { url: backend.url, timeoutMs: 2000, retries: 2, backoffMs: 1, ...options })],
      NoAgent,
      "alice"
    ).pipe(Effect.provide(NodeHttpClient.layer))

  const errorCode = (outcome: Outcome) => outcome.status === "error" ? outcome.error.code : "ok"

  it.scopedLive("posts {user_id, type, id, payload}; acks the result; delivers events after the ack", () =>
    Effect.gen(function*() {
      backend.respond = () => ({
        status: 200,
        body: {
          result: { price: 42 },
          events: [
            { type: "quote_ready", payload: { price: 42 } },
            { type: "agent_thinking", payload: { run_id: "legacy-9", text: "hm" } }
          ]
        }
      })
      const h = yield* harness()
      const before = backend.calls.length
      const outcome = yield* h.execute({ type: "quote", id: "q1", user_id: "mallory", payload: { symbol: "EFF" } } as never)
      expect(outcome).toMatchObject({ status: "ok", result: { price: 42 } })
      expect(backend.calls.slice(before)).toEqual([{ user_id: "alice", type: "quote", id: "q1", payload: { symbol: "EFF" } }])
      yield* waitUntil(() => h.events.length === 2)
      // agent events carry their run_id at the top level
      expect(h.events).toEqual([
        { type: "quote_ready", payload: { price: 42 } },
        { type: "agent_thinking", run_id: "legacy-9", payload: { run_id: "legacy-9", text: "hm" } }
      ])
      // a frame without an id is sent with id null; an empty answer is an empty result
      backend.respond = () => ({ status: 200, body: {} })
      const bare = yield* h.execute({ type: "quote", payload: {} })
      expect(bare).toMatchObject({ status: "ok", result: {} })
      expect(backend.calls.at(-1)?.id).toBeNull()
    }))

  it.scopedLive("retries a frame with an id after a 503, every attempt with the same Idempotency-Key", () =>
    Effect.gen(function*() {
      let n = 0
      backend.respond = () => (++n <= 2 ? { status: 503, body: { error: "busy" } } : { status: 200, body: { result: { ok: true } } })
      const h = yield* harness()
      const before = backend.calls.length
      const outcome = yield* h.execute({ type: "quote", id: "q2", payload: {} })
      expect(outcome).toMatchObject({ status: "ok", result: { ok: true } })
      expect(n).toBe(3)
      expect(backend.idempotencyKeys.slice(before)).toEqual(["alice:q2", "alice:q2", "alice:q2"])
    }))

  it.scopedLive("sends a frame without an id once when it may have arrived (503, timeout), without an Idempotency-Key", () =>
    Effect.gen(function*() {
      let n = 0
      backend.respond = () => (n++, { status: 503 })
      const h = yield* harness({ retries: 3 })
      const before = backend.calls.length
      expect(errorCode(yield* h.execute({ type: "quote", payload: {} }))).toBe("HANDLER_FAILED")
      expect(n).toBe(1)
      expect(backend.idempotencyKeys.slice(before)).toEqual([undefined])
      backend.respond = () => (n++, { hang: true })
      const slow = yield* harness({ retries: 3, timeoutMs: 100 })
      expect(errorCode(yield* slow.execute({ type: "quote", payload: {} }))).toBe("TIMEOUT")
      expect(n).toBe(2)
    }))

  it.scopedLive("a payload that cannot be serialized is the client's INVALID_MESSAGE, and nothing is sent", () =>
    Effect.gen(function*() {
      // deeper than JSON.stringify's recursion can go (no decode-depth bound is involved here)
      let deep: unknown = []
      for (let i = 0; i < 100_000; i++) deep = [deep]
      const h = yield* harness()
      const before = backend.calls.length
      const outcome = yield* h.execute({ type: "quote", id: "deep", payload: { deep } })
      expect(outcome).toMatchObject({ status: "error", error: { code: "INVALID_MESSAGE", details: { path: ["payload"] } } })
      expect(backend.calls.length).toBe(before)
    }))

  it.scopedLive("gives up after the retries: HANDLER_FAILED with the status", () =>
    Effect.gen(function*() {
      let n = 0
      backend.respond = () => (n++, { status: 502 })
      const h = yield* harness({ retries: 1 })
      const outcome = yield* h.execute({ type: "quote", id: "q3", payload: {} })
      expect(outcome).toMatchObject({
        status: "error",
        error: { code: "HANDLER_FAILED", details: { reason: "Status", status: 502 } }
      })
      expect(n).toBe(2)
    }))

  it.scopedLive("does not retry a non-transient answer (400) or an invalid body", () =>
    Effect.gen(function*() {
      let n = 0
      backend.respond = () => (n++, { status: 400, body: { error: "bad" } })
      const h = yield* harness()
      expect(errorCode(yield* h.execute({ type: "quote", id: "q4", payload: {} }))).toBe("HANDLER_FAILED")
      expect(n).toBe(1)
      backend.respond = () => (n++, { status: 200, body: { events: "not a list" } })
      const invalid = yield* h.execute({ type: "quote", id: "q5", payload: {} })
      expect(invalid).toMatchObject({ status: "error", error: { code: "HANDLER_FAILED", details: { reason: "InvalidBody" } } })
      expect(n).toBe(2)
    }))

  it.scopedLive("an event the protocol does not allow is an invalid body: nothing of the answer reaches the user", () =>
    Effect.gen(function*() {
      const h = yield* harness()
      const offContract = [
        // a built-in type with another payload
        { type: "agent_completed", run_id: "legacy-1", payload: { status: "ok" } },
        // an agent event with no run_id anywhere
        { type: "agent_thinking", payload: { text: "whose run?" } }
      ]
      for (const event of offContract) {
        backend.respond = () => ({ status: 200, body: { result: { ok: true }, events: [{ type: "fine", payload: {} }, event] } })
        const outcome = yield* h.execute({ type: "quote", id: `bad-${event.type}`, payload: {} })
        expect(outcome).toMatchObject({ status: "error", error: { code: "HANDLER_FAILED", details: { reason: "InvalidBody" } } })
      }
      expect(h.events).toEqual([])
    }))

  it.scopedLive("a backend that does not answer times out: TIMEOUT", () =>
    Effect.gen(function*() {
      backend.respond = () => ({ hang: true })
      const h = yield* harness({ timeoutMs: 100, retries: 0 })
      expect(errorCode(yield* h.execute({ type: "quote", id: "q6", payload: {} }))).toBe("TIMEOUT")
    }))

  it.scopedLive("an unreachable backend is a failure, not a crash", () =>
    Effect.gen(function*() {
      const h = yield* harness({ url: "http://127.0.0.1:1/nothing-listens-here", retries: 1 })
      const outcome = yield* h.execute({ type: "quote", id: "q7", payload: {} })
      // refused: the request provably never arrived
      expect(outcome).toMatchObject({ status: "error", error: { code: "HANDLER_FAILED", details: { reason: "Connect" } } })
      expect(HttpLegacy.isRetryable(new HttpLegacy.LegacyBackendError({ reason: "Connect", detail: "" }), false)).toBe(true)
      expect(HttpLegacy.isRetryable(new HttpLegacy.LegacyBackendError({ reason: "Transport", detail: "" }), false)).toBe(false)
      expect(HttpLegacy.isRetryable(new HttpLegacy.LegacyBackendError({ reason: "Transport", detail: "" }), true)).toBe(true)
    }))
})
