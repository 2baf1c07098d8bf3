import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Fiber, Layer } from "effect"
import { DedupeStore } from "../../src/store/DedupeStore.js"
import * as RedisDedupeStore from "../../src/store/RedisDedupeStore.js"
import { testRedisLayer } from "../support/RedisServer.js"
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

  it.scopedLive("a claim whose node died is taken over once its lease ran out, and its waiter is let go", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoNodes(300)
      yield* a.claim("u", "m1")
      // A never completes: B's wait ends with the lease, and the id is then B's
      yield* b.settled("u", "m1")
      expect(yield* b.claim("u", "m1")).toEqual({ _tag: "New" })
    }))
})
