import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { frameCost, make } from "../../src/session/UserRateLimit.js"

describe("UserRateLimit", () => {
  it.effect("lets a burst through, then one message per token, and says when the next token is due", () =>
    Effect.gen(function*() {
      const limit = yield* make({ perSec: 4, burst: 3, maxUsers: 10 })
      expect([limit.take("u", 1), limit.take("u", 1), limit.take("u", 1)]).toEqual([0, 0, 0])
      expect(limit.take("u", 1)).toBe(250)
      // another user has a budget of their own
      expect(limit.take("v", 1)).toBe(0)
      yield* TestClock.adjust("100 millis")
      expect(limit.take("u", 1)).toBe(150)
      yield* TestClock.adjust("150 millis")
      expect(limit.take("u", 1)).toBe(0)
      expect(limit.take("u", 1)).toBe(250)
    }))

  it.effect("a request larger than the burst costs the burst: it passes on a full bucket", () =>
    Effect.gen(function*() {
      const limit = yield* make({ perSec: 10, burst: 5, maxUsers: 10 })
      expect(limit.take("u", 100)).toBe(0)
      expect(limit.take("u", 1)).toBe(100)
      yield* TestClock.adjust("500 millis")
      expect(limit.take("u", 100)).toBe(0)
    }))

  it.effect("holds at most maxUsers buckets, forgetting idle (full) ones first", () =>
    Effect.gen(function*() {
      const limit = yield* make({ perSec: 1, burst: 2, maxUsers: 100 })
      for (let i = 0; i < 1000; i++) limit.take(`user-${i}`, 2)
      // the latest user still has an empty bucket: it was not forgotten
      expect(limit.take("user-999", 1)).toBeGreaterThan(0)
      yield* TestClock.adjust("10 seconds")
      expect(limit.take("user-999", 2)).toBe(0)
    }))

  it.effect("0 a second means no limit", () =>
    Effect.gen(function*() {
      const limit = yield* make({ perSec: 0, burst: 1, maxUsers: 10 })
      for (let i = 0; i < 100; i++) expect(limit.take("u", 1)).toBe(0)
    }))

  it("a batch costs its number of messages, any other frame one", () => {
    expect(frameCost({ type: "ping", payload: {} })).toBe(1)
    expect(frameCost({ type: "batch", payload: { messages: [{}, {}, {}] } })).toBe(3)
    expect(frameCost({ type: "batch", payload: { messages: "x" } })).toBe(1)
  })
})
