import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, TestClock } from "effect"
import type { HistoryOptions } from "../../src/store/History.js"
import { HistoryStore } from "../../src/store/HistoryStore.js"
import * as RedisStreams from "../../src/store/RedisStreams.js"
import { testRedisLayer } from "../support/RedisServer.js"

// what one Redis script may drop for age alone (RedisStreamScripts' AGED_PER_CALL)
const AGED_PER_CALL = 512

const historyOn = (options: HistoryOptions) =>
  Effect.map(Layer.build(Layer.provide(RedisStreams.layer(options), testRedisLayer())), (context) =>
    Context.get(context, HistoryStore))

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
})
