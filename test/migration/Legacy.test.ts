import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Schema, Stream } from "effect"
import { Agent } from "../../src/agent/Agent.js"
import * as Legacy from "../../src/migration/Legacy.js"
import { FrameError } from "../../src/protocol/FrameError.js"
import { extensionEvent } from "../../src/protocol/ExtensionEvent.js"
import { makeHarness } from "../support/FrameHarness.js"

const NoAgent = Layer.succeed(Agent, { defaultName: "none", run: () => Stream.empty })

const waitUntil = (check: () => boolean) =>
  Effect.gen(function*() {
    while (!check()) yield* Effect.sleep("2 millis")
  })

describe("Legacy.fromPromise: an existing Promise-based handler in the router", () => {
  it.scopedLive("gets the user id, payload and frame id; resolves to the ack's result; events follow the ack", () =>
    Effect.gen(function*() {
      const seen: Array<unknown> = []
      const handler = Legacy.fromPromise("legacy_echo", async (userId, payload, context) => {
        seen.push({ userId, payload, id: context.id })
        context.emit(extensionEvent("echoed", { n: 1 }))
        return { ok: true }
      })
      const h = yield* makeHarness([handler], NoAgent, "alice")
      const outcome = yield* h.execute({ type: "legacy_echo", id: "l1", payload: { a: 1 } })
      expect(outcome).toMatchObject({ status: "ok", result: { ok: true } })
      expect(seen).toEqual([{ userId: "alice", payload: { a: 1 }, id: "l1" }])
      yield* waitUntil(() => h.events.length === 1)
      expect(h.events).toEqual([{ type: "echoed", payload: { n: 1 } }])
    }))

  it.scopedLive("a rejection fails the frame: HANDLER_FAILED, or the FrameError it rejects with", () =>
    Effect.gen(function*() {
      const h = yield* makeHarness([
        Legacy.fromPromise("boom", async () => {
          throw new Error("database is down: GET http://svc:pw@db.internal/x?key=abc failed")
        }),
        Legacy.fromPromise("missing", () => Promise.reject(FrameError.notFound("no such order")))
      ], NoAgent)
      expect(yield* h.execute({ type: "boom", id: "b" })).toMatchObject({
        status: "error",
        error: { code: "HANDLER_FAILED", message: "the legacy handler failed" }
      })
      // what it threw (a URL with credentials) stays in the logs
      expect(JSON.stringify(yield* h.execute({ type: "boom", id: "b2" }))).not.toMatch(/db\.internal|pw|key=|database/)
      expect(yield* h.execute({ type: "missing", id: "m" })).toMatchObject({
        status: "error",
        error: { code: "NOT_FOUND" }
      })
    }))

  it.scopedLive("with a payload schema, a bad payload is INVALID_MESSAGE and the function never runs", () =>
    Effect.gen(function*() {
      let calls = 0
      const h = yield* makeHarness([
        Legacy.fromPromise("typed", async (_userId, { n }) => (calls++, { doubled: n * 2 }), {
          payload: Schema.Struct({ n: Schema.Number })
        })
      ], NoAgent)
      expect(yield* h.execute({ type: "typed", id: "t1", payload: { n: 21 } })).toMatchObject({
        status: "ok",
        result: { doubled: 42 }
      })
      expect(yield* h.execute({ type: "typed", id: "t2", payload: { n: "x" } })).toMatchObject({
        status: "error",
        error: { code: "INVALID_MESSAGE", details: { path: ["payload", "n"] } }
      })
      expect(calls).toBe(1)
    }))

  it.scopedLive("an interrupted call aborts the promise's signal", () =>
    Effect.gen(function*() {
      let aborted = false
      const started: Array<true> = []
      const h = yield* makeHarness([
        Legacy.fromPromise("stuck", (_userId, _payload, { signal }) =>
          new Promise(() => {
            started.push(true)
            signal.addEventListener("abort", () => (aborted = true))
          }))
      ], NoAgent)
      const fiber = yield* Effect.fork(h.execute({ type: "stuck", id: "s" }))
      yield* waitUntil(() => started.length === 1)
      yield* fiber.interruptAsFork(fiber.id())
      yield* waitUntil(() => aborted)
      expect(aborted).toBe(true)
    }))
})
