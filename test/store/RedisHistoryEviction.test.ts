import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, TestClock } from "effect"
import { Backplane } from "../../src/store/Backplane.js"
import type { HistoryOptions } from "../../src/store/History.js"
import { HistoryStore } from "../../src/store/HistoryStore.js"
import { keyPart, Redis } from "../../src/store/Redis.js"
import * as RedisStreams from "../../src/store/RedisStreams.js"
import { testRedisLayer } from "../support/RedisServer.js"

// what one Redis script may drop for age alone (RedisStreamScripts' AGED_PER_CALL)
const AGED_PER_CALL = 512

const storesOn = (options: HistoryOptions) =>
  Effect.map(Layer.build(Layer.provideMerge(RedisStreams.layer(options), testRedisLayer())), (context) => ({
    history: Context.get(context, HistoryStore),
    redis: Context.get(context, Redis)
  }))

const historyOn = (options: HistoryOptions) => Effect.map(storesOn(options), ({ history }) => history)

// appends seqs `from..to` framed by `frame`, stamped with the TestClock's time
const appendAll = (history: HistoryStore["Type"], from: number, to: number, frame: (seq: number) => string) =>
  Effect.forEach(
    Array.from({ length: to - from + 1 }, (_, i) => from + i),
    (seq) => history.append("u", { seq, at: 0, frame: frame(seq) }),
    { discard: true }
  )

/**
 * Redis runs one script at a time, every node's commands waiting behind it:
 * the history's eviction keeps each call short where PROTOCOL §6 lets it.
 */
describe("Redis history eviction", () => {
  it.scoped("a history that aged at once is cut back AGED_PER_CALL events a call, down to minEvents", () =>
    Effect.gen(function*() {
      const history = yield* historyOn({ minEvents: 10, minAgeMs: 1000, maxEvents: 5000 })
      yield* appendAll(history, 1, 1200, (seq) => `e${seq}`)
      expect((yield* history.read("u", 0)).oldestSeq).toBe(1)
      yield* TestClock.adjust(1000)
      const oldest: Array<number | undefined> = []
      for (let i = 0; i < 4; i++) oldest.push((yield* history.read("u", 1199)).oldestSeq)
      expect(oldest).toEqual([1 + AGED_PER_CALL, 1 + 2 * AGED_PER_CALL, 1191, 1191])
    }))

  it.scoped("... and a batch of publishes is one call: it drops no more for age than one publish", () =>
    Effect.gen(function*() {
      const options = { minEvents: 10, minAgeMs: 1000, maxEvents: 5000 }
      const context = yield* Layer.build(Layer.provideMerge(RedisStreams.layer(options), testRedisLayer()))
      const history = Context.get(context, HistoryStore)
      const backplane = Context.get(context, Backplane)
      const publishNoWait = backplane.publishNoWait!
      yield* appendAll(history, 1, 3000, (seq) => `e${seq}`)
      yield* TestClock.adjust(1000)
      const event = { head: `{"seq":`, tail: "}", at: 0 }
      // the first goes alone; the three handed over while it is with Redis, in one script; then a read
      yield* publishNoWait("u", event)
      // (it goes once this fiber gives way)
      yield* Effect.yieldNow()
      for (let i = 0; i < 2; i++) yield* publishNoWait("u", event)
      expect(yield* backplane.publish("u", event)).toBe(3004)
      expect((yield* history.read("u", 3003)).oldestSeq).toBe(1 + 3 * AGED_PER_CALL)
    }))

  it.scoped("the bounds that hold memory are kept at once, however many events that drops", () =>
    Effect.gen(function*() {
      // 1,500 frames of 10 bytes, then one of 19,000: the 20,000-byte budget drops 1,400 of them in that append
      const history = yield* historyOn({ minEvents: 2000, minAgeMs: 60_000, maxEvents: 5000, maxBytes: 20_000 })
      yield* appendAll(history, 1, 1500, (seq) => `e${String(seq).padStart(9, "0")}`)
      yield* history.append("u", { seq: 1501, at: 0, frame: "x".repeat(19_000) })
      const slice = yield* history.read("u", 1499)
      expect(slice.oldestSeq).toBe(1401)
      expect(slice.entries.map((e) => e.seq)).toEqual([1500, 1501])
    }))

  it.scoped("a stream written before the running totals is walked, and cut by the totals once its old events are gone", () =>
    Effect.gen(function*() {
      const { history, redis } = yield* storesOn({ minEvents: 50, minAgeMs: 60_000, maxEvents: 1000, maxBytes: 100 })
      const key = redis.key(`st:{${keyPart("u")}}`)
      // as the version before kept it: no `total` in m, no `c` in the events
      yield* redis.run((client) =>
        client.multi()
          .hset(`${key}:m`, "epoch", "old", "seq", 3, "bytes", 30)
          .xadd(`${key}:x`, "1-0", "f", "x".repeat(10), "a", 0)
          .xadd(`${key}:x`, "2-0", "f", "x".repeat(10), "a", 0)
          .xadd(`${key}:x`, "3-0", "f", "x".repeat(10), "a", 0)
          .exec()
      )
      const append = (from: number, to: number, size: number) =>
        Effect.forEach(Array.from({ length: to - from + 1 }, (_, i) => from + i), (seq) =>
          history.append("u", { seq, at: 0, frame: "y".repeat(size) }), { discard: true })
      const state = Effect.gen(function*() {
        const slice = yield* history.read("u", 0)
        const bytes = Number(yield* redis.run((client) => client.hget(`${key}:m`, "bytes")))
        return { oldest: slice.oldestSeq, latest: slice.latestSeq, held: slice.entries.length, bytes }
      })
      // over maxBytes with the old events held: walked
      yield* append(4, 4, 95)
      expect(yield* state).toEqual({ oldest: 4, latest: 4, held: 1, bytes: 95 })
      // 100 events of 1 byte (the one of 95 walked out on the way)
      yield* append(5, 104, 1)
      expect(yield* state).toEqual({ oldest: 5, latest: 104, held: 100, bytes: 100 })
      // one of 60 bytes: 60 to drop, found by the totals, the bytes held read from them
      yield* append(105, 105, 60)
      expect(yield* state).toEqual({ oldest: 65, latest: 105, held: 41, bytes: 100 })
    }))
})
