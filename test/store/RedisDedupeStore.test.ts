import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Fiber, Layer, TestClock } from "effect"
import { DedupeStore } from "../../src/store/DedupeStore.js"
import * as Redis from "../../src/store/Redis.js"
import * as RedisDedupeStore from "../../src/store/RedisDedupeStore.js"
import { testRedisLayer } from "../support/RedisServer.js"
import { unreadableCount } from "../support/RedisUnreadable.js"
import { dedupeStoreSuite, roomy } from "./DedupeStoreConformance.js"

// each layer its own prefix on the shared Redis (127.0.0.1:6379, or TEST_REDIS_URL)
dedupeStoreSuite("redis", (options) =>
  RedisDedupeStore.layerWith(options).pipe(Layer.provide(testRedisLayer()), Layer.orDie))

describe("RedisDedupeStore across nodes", () => {
  // two nodes: two connections (each layer built on its own), two stores, one prefix
  const twoNodes = (leaseMs: number) => {
    const node = RedisDedupeStore.layerWith(roomy, leaseMs).pipe(Layer.provide(testRedisLayer()), Layer.orDie)
    const build = Effect.map(Layer.build(node), Context.get(DedupeStore))
    return Effect.all({ a: build, b: build })
  }

  it.scopedLive("a duplicate on node B of an id A still processes waits for A's result", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoNodes(60_000)
      expect(yield* a.claim("u", "m1")).toEqual({ _tag: "New" })
      expect(yield* b.claim("u", "m1")).toEqual({ _tag: "Pending" })
      const waiting = yield* Effect.fork(b.settled("u", "m1"))
      yield* a.complete("u", "m1", { run_id: "r-a" })
      yield* Fiber.join(waiting)
      expect(yield* b.claim("u", "m1")).toEqual({ _tag: "Duplicate", result: { run_id: "r-a" } })
    }))

  it.scopedLive("a duplicate on node B of an id with a lone surrogate waits for A's result too (not for a lookalike's)", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoNodes(60_000)
      // another id that UTF-8 alone would have made the same field: done, so it must not end B's wait
      yield* a.claim("u", "m\uDC00")
      yield* a.complete("u", "m\uDC00", { run_id: "r-other" })
      expect(yield* a.claim("u", "m\uD800")).toEqual({ _tag: "New" })
      expect(yield* b.claim("u", "m\uD800")).toEqual({ _tag: "Pending" })
      const waiting = yield* Effect.fork(b.settled("u", "m\uD800"))
      // still waiting while A processes it (a waiter that read the lookalike's entry would be done)
      yield* Effect.sleep("300 millis")
      expect(waiting.unsafePoll()).toBeNull()
      yield* a.complete("u", "m\uD800", { run_id: "r-a" })
      yield* Fiber.join(waiting)
      expect(yield* b.claim("u", "m\uD800")).toEqual({ _tag: "Duplicate", result: { run_id: "r-a" } })
    }))

  it.scopedLive("a claim whose node died is taken over once its lease ran out, and its waiter is let go", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoNodes(300)
      yield* a.claim("u", "m1")
      // A never completes: B's wait ends with the lease, and the id is then B's
      yield* b.settled("u", "m1")
      expect(yield* b.claim("u", "m1")).toEqual({ _tag: "New" })
    }))

  // the waits of chains, shared (PROTOCOL §5): time is the TestClock's, as for the claims
  const sharedWaits = (leaseMs: number) =>
    Effect.map(twoNodes(leaseMs), ({ a, b }) => ({ a: a.sharedWaits!, b: b.sharedWaits! }))

  it.scoped("a wait on node B that closes a cycle with a wait on node A is refused; another user's is not", () =>
    Effect.gen(function*() {
      const { a, b } = yield* sharedWaits(60_000)
      // A's chain holds p and waits for q; B's holds q and would wait for p
      expect(yield* a.enter("u", ["p"], "q")).toBe(true)
      expect(yield* b.enter("u", ["q"], "p")).toBe(false)
      expect(yield* b.enter("v", ["q"], "p")).toBe(true)
    }))

  it.scoped("follows the waits through several chains and every id a chain holds; a chain at the end of a line may wait", () =>
    Effect.gen(function*() {
      const { a, b } = yield* sharedWaits(60_000)
      // a batch p holding its inner frame's p2 too, waiting for q
      expect(yield* a.enter("u", ["p", "p2"], "q")).toBe(true)
      // r waits for p2: r → p → q, no cycle
      expect(yield* b.enter("u", ["r"], "p2")).toBe(true)
      // q waiting for r would close q → r → p2 (held with p) → q
      expect(yield* b.enter("u", ["q"], "r")).toBe(false)
      // s waiting for q is at the end of the line
      expect(yield* a.enter("u", ["s"], "q")).toBe(true)
    }))

  it.scoped("`leave` removes only the chain's own wait, and a cycle is allowed once its first wait ended", () =>
    Effect.gen(function*() {
      const { a, b } = yield* sharedWaits(60_000)
      yield* a.enter("u", ["p"], "q")
      // not this wait (another wanted id, another held id): p still waits for q
      yield* b.leave("u", ["p"], "other")
      yield* b.leave("u", ["x"], "q")
      expect(yield* b.enter("u", ["q"], "p")).toBe(false)
      yield* a.leave("u", ["p"], "q")
      expect(yield* b.enter("u", ["q"], "p")).toBe(true)
    }))

  it.scoped("a wait past its deadline that no walk meets is dropped all the same (its leave was lost)", () =>
    Effect.gen(function*() {
      const node = RedisDedupeStore.layerWith(roomy, 1_000).pipe(Layer.provideMerge(testRedisLayer()), Layer.orDie)
      const context = yield* Layer.build(node)
      const waits = Context.get(context, DedupeStore).sharedWaits!
      const redis = Context.get(context, Redis.Redis)
      const edges = redis.key(`dd:{${Redis.keyPart("u")}}:w`)
      const count = Effect.orDie(redis.run((client) => client.hlen(edges)))
      yield* waits.enter("u", ["x"], "y")
      yield* TestClock.adjust("1001 millis")
      // another chain's wait, whose walk never meets x's
      yield* waits.enter("u", ["p"], "q")
      expect(yield* count).toBe(1)
    }))

  it.scoped("the waits of a node that died stop counting once the lease ran out", () =>
    Effect.gen(function*() {
      const { a, b } = yield* sharedWaits(1_000)
      yield* a.enter("u", ["p"], "q")
      // A never leaves its wait (it died): within the lease it still counts, after it no more
      yield* TestClock.adjust("999 millis")
      expect(yield* b.enter("u", ["q"], "p")).toBe(false)
      yield* TestClock.adjust("2 millis")
      expect(yield* b.enter("u", ["q"], "p")).toBe(true)
    }))

  // one node's store, its Redis, and the hash of user u's entries (id → "D<at>:<json>" | "P<deadline>:<token>")
  const nodeWithEntries = Effect.gen(function*() {
    const node = RedisDedupeStore.layerWith(roomy).pipe(Layer.provideMerge(testRedisLayer()), Layer.orDie)
    const context = yield* Layer.build(node)
    const redis = Context.get(context, Redis.Redis)
    return { store: Context.get(context, DedupeStore), redis, entries: redis.key(`dd:{${Redis.keyPart("u")}}:e`) }
  })

  it.scopedLive("a stored result it cannot parse fails the claim as a store error, counted; the id is not given out again; any JSON it wrote reads back", () =>
    Effect.gen(function*() {
      const { entries, redis, store } = yield* nodeWithEntries
      yield* store.claim("u", "m1")
      yield* store.complete("u", "m1", { run_id: "r-1" })
      const stored = yield* Effect.orDie(redis.run((client) => client.hget(entries, "m1")))
      const before = yield* unreadableCount("dedupe")
      // another version's result (or a damaged one): the same entry, its JSON replaced
      for (const unreadable of ["{not json", `{"run_id":`, ""]) {
        const damaged = `${stored!.slice(0, stored!.indexOf(":") + 1)}${unreadable}`
        yield* Effect.orDie(redis.run((client) => client.hset(entries, "m1", damaged)))
        const claimed = yield* Effect.flip(store.claim("u", "m1"))
        expect(claimed._tag).toBe("DedupeStoreError")
        expect(claimed.reason).toBe("Unreadable")
        // a `record` of the id reads the same entry
        expect((yield* Effect.flip(store.record("u", "m1", { run_id: "r-2" })))._tag).toBe("DedupeStoreError")
      }
      expect((yield* unreadableCount("dedupe")) - before).toBe(6)
      // what it wrote itself still reads as it was
      yield* Effect.orDie(redis.run((client) => client.hset(entries, "m1", stored!)))
      expect(yield* store.claim("u", "m1")).toEqual({ _tag: "Duplicate", result: { run_id: "r-1" } })
      // a legacy backend's plain result (passed through to its ack) is one it wrote too
      for (const [id, plain] of [["m2", "ok"], ["m3", 42], ["m4", null]] as const) {
        yield* store.claim("u", id)
        yield* store.complete("u", id, plain as unknown as object)
        expect(yield* store.claim("u", id)).toEqual({ _tag: "Duplicate", result: plain })
      }
      expect((yield* unreadableCount("dedupe")) - before).toBe(6)
    }))

  it.scopedLive("an entry whose time it cannot read (another version's, damaged) counts as past the window: dropped, the user's other ids unaffected", () =>
    Effect.gen(function*() {
      const { entries, redis, store } = yield* nodeWithEntries
      const set = (id: string, value: string) => Effect.orDie(redis.run((client) => client.hset(entries, id, value)))
      // the user's oldest done id, met by every claim of the user's (the sweep of ids past the window)
      yield* store.claim("u", "old")
      yield* store.complete("u", "old", { run_id: "r-old" })
      yield* set("old", `Dsoon:{"run_id":"r-old"}`)
      expect(yield* store.claim("u", "other")).toEqual({ _tag: "New" })
      expect(yield* store.claim("u", "old")).toEqual({ _tag: "New" })
      // with no colon at all, and a claim in progress whose lease it cannot read (run out)
      yield* set("bare", "Dgarbage")
      expect(yield* store.claim("u", "bare")).toEqual({ _tag: "New" })
      yield* set("held", "Pnever:token")
      expect(yield* store.claim("u", "held")).toEqual({ _tag: "New" })
      yield* store.complete("u", "other", { run_id: "r-other" })
      expect(yield* store.claim("u", "other")).toEqual({ _tag: "Duplicate", result: { run_id: "r-other" } })
    }))
})
