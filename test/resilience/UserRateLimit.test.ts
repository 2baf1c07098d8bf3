import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import type { ClientFrame } from "../../src/protocol/ClientFrame.js"
import { arrivalCost, batchExtra, CHARS_PER_MESSAGE, make } from "../../src/resilience/UserRateLimit.js"

// what the frame path charges for one frame of `chars` characters: on arrival, then for a decoded batch's other messages
const frameCost = (frame: ClientFrame | undefined, chars: number): number =>
  arrivalCost(chars) + (frame === undefined ? 0 : batchExtra(frame))

describe("UserRateLimit", () => {
  it.effect("a user served by N nodes gets 1/N of the rate and burst on each (cluster mode); 1 gives it all back", () =>
    Effect.gen(function*() {
      const limit = yield* make({ perSec: 4, burst: 4, maxUsers: 10 })
      limit.share("u", 2)
      expect([limit.take("u", 1), limit.take("u", 1)]).toEqual([0, 0])
      // half the rate: the next token is 500 ms away, not 250
      expect(limit.take("u", 1)).toBe(500)
      // others keep the whole rate
      expect([1, 2, 3, 4].map(() => limit.take("v", 1))).toEqual([0, 0, 0, 0])
      limit.share("u", 1)
      yield* TestClock.adjust("1 second")
      expect([1, 2, 3, 4].map(() => limit.take("u", 1))).toEqual([0, 0, 0, 0])
    }))

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

  it.effect("charges work already done past the budget, at most a burst deep, and refuses until the debt is paid", () =>
    Effect.gen(function*() {
      const limit = yield* make({ perSec: 10, burst: 5, maxUsers: 10 })
      limit.charge("u", 8)
      // 5 - 8 = 3 owed: a message waits for 4 tokens
      expect(limit.take("u", 1)).toBe(400)
      limit.charge("u", 100)
      // never deeper than one burst: 5 owed, 6 tokens for the next message
      expect(limit.take("u", 1)).toBe(600)
      yield* TestClock.adjust("600 millis")
      expect(limit.take("u", 1)).toBe(0)
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

  it("a batch costs its number of messages, any other frame one, a large frame its size", () => {
    expect(frameCost({ type: "ping", payload: {} }, 20)).toBe(1)
    expect(frameCost({ type: "batch", payload: { messages: [{}, {}, {}] } }, 60)).toBe(3)
    expect(frameCost({ type: "batch", payload: { messages: "x" } }, 60)).toBe(1)
    // size counts too, decoded or not: a flood can be of bytes
    expect(frameCost({ type: "ping", payload: {} }, 3 * CHARS_PER_MESSAGE + 1)).toBe(4)
    expect(frameCost(undefined, 10)).toBe(1)
    expect(frameCost(undefined, 2 * CHARS_PER_MESSAGE)).toBe(2)
  })
})
