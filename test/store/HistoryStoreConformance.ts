import { describe, expect, it } from "@effect/vitest"
import { Clock, Context, Effect, type Scope, TestClock } from "effect"
import type { HistoryOptions } from "../../src/store/History.js"
import { defaultReadLimit, emptySlice, HistoryStore } from "../../src/store/HistoryStore.js"
import type { MakeCluster } from "./StoreCluster.js"

const framed = (seq: number) => `e${seq}`

/**
 * What every `HistoryStore` must do (PROTOCOL §6, §10), whatever it stores
 * in: run it against each implementation with a way to make a shared backing
 * from bounds, and nodes over it. Ages are the TestClock's: an implementation
 * judges them on the caller's `Clock`.
 */
export const historyStoreSuite = (
  name: string,
  makeCluster: MakeCluster<HistoryOptions, HistoryStore>
) =>
  describe(`HistoryStore conformance: ${name}`, () => {
    const withStores = <A, E>(
      options: HistoryOptions,
      body: (a: HistoryStore["Type"], b: HistoryStore["Type"]) => Effect.Effect<A, E, Scope.Scope>
    ) =>
      Effect.gen(function*() {
        const cluster = yield* makeCluster(options)
        const a = Context.get(yield* cluster.node, HistoryStore)
        const b = Context.get(yield* cluster.node, HistoryStore)
        return yield* body(a, b)
      })

    // appends seqs `from..to`, each stamped with the Clock's time and framed by `frame`
    const appendAll = (store: HistoryStore["Type"], user: string, from: number, to: number, frame = framed) =>
      Effect.gen(function*() {
        const at = yield* Clock.currentTimeMillis
        for (let seq = from; seq <= to; seq++) yield* store.append(user, { seq, at, frame: frame(seq) })
      })

    const seqs = (store: HistoryStore["Type"], user: string, after = 0) =>
      Effect.map(store.read(user, after), (slice) => slice.entries.map((e) => e.seq))

    it.scoped("reads the held events after a seq, exclusive, with the oldest held and the latest appended", () =>
      withStores({ minEvents: 5, minAgeMs: 0, maxEvents: 5 }, (store) =>
        Effect.gen(function*() {
          yield* appendAll(store, "u", 1, 8)
          expect(yield* store.read("u", 5)).toEqual({
            entries: [6, 7, 8].map((seq) => ({ seq, at: 0, frame: framed(seq) })),
            oldestSeq: 4,
            latestSeq: 8
          })
          expect(yield* seqs(store, "u")).toEqual([4, 5, 6, 7, 8])
          expect(yield* store.read("u", 8)).toEqual({ entries: [], oldestSeq: 4, latestSeq: 8 })
        })))

    it.scoped("keeps at least the last minEvents, and younger events beyond them", () =>
      withStores({ minEvents: 3, minAgeMs: 1000, maxEvents: 100 }, (store) =>
        Effect.gen(function*() {
          yield* appendAll(store, "u", 1, 5)
          expect(yield* seqs(store, "u")).toEqual([1, 2, 3, 4, 5])
          yield* TestClock.adjust(999)
          expect(yield* seqs(store, "u")).toEqual([1, 2, 3, 4, 5])
          yield* TestClock.adjust(1)
          expect(yield* store.read("u", 0)).toMatchObject({ oldestSeq: 3, latestSeq: 5 })
          expect(yield* seqs(store, "u")).toEqual([3, 4, 5])
        })))

    it.scoped("never holds more than maxEvents, however young", () =>
      withStores({ minEvents: 2, minAgeMs: 60_000, maxEvents: 10 }, (store) =>
        Effect.gen(function*() {
          yield* appendAll(store, "u", 1, 50)
          expect(yield* seqs(store, "u")).toEqual([41, 42, 43, 44, 45, 46, 47, 48, 49, 50])
        })))

    it.scoped("holds at most maxBytes of frames, over the minimum count and age", () =>
      withStores({ minEvents: 1000, minAgeMs: 60_000, maxEvents: 10_000, maxBytes: 350 }, (store) =>
        Effect.gen(function*() {
          yield* appendAll(store, "u", 1, 10, () => "x".repeat(100))
          expect(yield* seqs(store, "u")).toEqual([8, 9, 10])
        })))

    it.scoped("counts UTF-8 bytes, not characters", () =>
      withStores({ minEvents: 1000, minAgeMs: 60_000, maxEvents: 10_000, maxBytes: 10 }, (store) =>
        Effect.gen(function*() {
          yield* store.append("u", { seq: 1, at: 0, frame: "ééé" })
          yield* store.append("u", { seq: 2, at: 0, frame: "éé" })
          // 6 + 4 bytes fit exactly; one more byte drops the oldest
          expect(yield* seqs(store, "u")).toEqual([1, 2])
          yield* store.append("u", { seq: 3, at: 0, frame: "a" })
          expect(yield* seqs(store, "u")).toEqual([2, 3])
        })))

    it.scoped("does not hold a frame larger than the whole budget, and still counts its seq", () =>
      withStores({ minEvents: 10, minAgeMs: 60_000, maxEvents: 100, maxBytes: 50 }, (store) =>
        Effect.gen(function*() {
          yield* store.append("u", { seq: 1, at: 0, frame: "x".repeat(20) })
          yield* store.append("u", { seq: 2, at: 0, frame: "x".repeat(51) })
          expect(yield* store.read("u", 0)).toEqual({ entries: [], oldestSeq: undefined, latestSeq: 2 })
          yield* store.append("u", { seq: 3, at: 0, frame: "x".repeat(20) })
          expect(yield* seqs(store, "u")).toEqual([3])
        })))

    it.scoped("keeps users apart, and knows nothing of a user never seen", () =>
      withStores({ minEvents: 10, minAgeMs: 0, maxEvents: 10 }, (store) =>
        Effect.gen(function*() {
          yield* appendAll(store, "u1", 1, 3)
          yield* appendAll(store, "u2", 1, 1)
          expect(yield* seqs(store, "u1")).toEqual([1, 2, 3])
          expect(yield* seqs(store, "u2")).toEqual([1])
          expect(yield* store.read("nobody", 0)).toEqual(emptySlice)
        })))

    it.scoped("is shared: what one node appends, another reads", () =>
      withStores({ minEvents: 10, minAgeMs: 0, maxEvents: 10 }, (a, b) =>
        Effect.gen(function*() {
          yield* appendAll(a, "u", 1, 2)
          yield* appendAll(b, "u", 3, 4)
          expect(yield* seqs(b, "u")).toEqual([1, 2, 3, 4])
          expect(yield* seqs(a, "u", 2)).toEqual([3, 4])
        })))

    it.scoped("forgets a user's history entirely", () =>
      withStores({ minEvents: 10, minAgeMs: 0, maxEvents: 10 }, (a, b) =>
        Effect.gen(function*() {
          yield* appendAll(a, "u", 1, 3)
          yield* appendAll(a, "v", 1, 1)
          yield* b.forget("u")
          expect(yield* a.read("u", 0)).toEqual(emptySlice)
          expect(yield* seqs(a, "v")).toEqual([1])
        })))

    it.scoped("stays correct over many appends", () =>
      withStores({ minEvents: 10, minAgeMs: 0, maxEvents: 10, maxBytes: 1000 }, (store) =>
        Effect.gen(function*() {
          yield* appendAll(store, "u", 1, 3000)
          expect(yield* seqs(store, "u", 2995)).toEqual([2996, 2997, 2998, 2999, 3000])
          expect(yield* store.read("u", 0)).toMatchObject({ oldestSeq: 2991, latestSeq: 3000 })
        })))
  
    it.scoped("reads a page at a time: at most maxEvents, none after the event that reaches maxBytes, and on from there", () =>
      withStores({ minEvents: 100, minAgeMs: 0, maxEvents: 100 }, (store) =>
        Effect.gen(function*() {
          yield* appendAll(store, "u", 1, 10, (seq) => "x".repeat(10 * seq))
          const byCount = yield* store.read("u", 0, { maxEvents: 3, maxBytes: 1 << 20 })
          expect(byCount.entries.map((e) => e.seq)).toEqual([1, 2, 3])
          // the slice still says where the whole history stands
          expect(byCount).toMatchObject({ oldestSeq: 1, latestSeq: 10 })
          // 40 + 50 bytes reach 60: the page ends with the event that reached it
          const byBytes = yield* store.read("u", 3, { maxEvents: 100, maxBytes: 60 })
          expect(byBytes.entries.map((e) => e.seq)).toEqual([4, 5])
          // one event at least, however large
          expect((yield* store.read("u", 9, { maxEvents: 100, maxBytes: 1 })).entries.map((e) => e.seq)).toEqual([10])
          // paging on from the last seq of each page reads everything once, in order
          const all: Array<number> = []
          let after = 0
          for (;;) {
            const page = yield* store.read("u", after, { maxEvents: 4, maxBytes: 1 << 20 })
            if (page.entries.length === 0) break
            all.push(...page.entries.map((e) => e.seq))
            after = page.entries.at(-1)!.seq
          }
          expect(all).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        })))

    it.scoped("reads no more than the default page when none is given", () =>
      withStores({ minEvents: 1000, minAgeMs: 0, maxEvents: 1000 }, (store) =>
        Effect.gen(function*() {
          yield* appendAll(store, "u", 1, defaultReadLimit.maxEvents + 10)
          expect((yield* store.read("u", 0)).entries).toHaveLength(defaultReadLimit.maxEvents)
        })))
  })
