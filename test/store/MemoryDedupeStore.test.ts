import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as MemoryDedupeStore from "../../src/store/MemoryDedupeStore.js"
import { dedupeStoreSuite, roomy } from "./DedupeStoreConformance.js"

dedupeStoreSuite("memory", MemoryDedupeStore.layerWith)

describe("MemoryDedupe", () => {
  it.scoped("the node sweep forgets a user who left once the window has passed, with no call in between", () =>
    Effect.gen(function*() {
      const memory = new MemoryDedupeStore.MemoryDedupe({ ...roomy, windowMs: 60_000 })
      for (const user of ["a", "b"]) {
        memory.claim(user, "m1")
        memory.complete(user, "m1", { ok: true }, 0)
      }
      memory.claim("b", "pending")
      memory.sweep(59_999)
      expect(memory.userCount).toBe(2)
      memory.sweep(60_000)
      // a is gone entirely; b stays only for its claim still in progress
      expect(memory.userCount).toBe(1)
      expect(memory.entryCount("b")).toBe(1)
      memory.expire("b", "pending")
      expect(memory.userCount).toBe(0)
      expect(memory.bytes).toBe(0)
    }))

  it.scoped("the layer runs the sweep on the Clock", () =>
    Effect.gen(function*() {
      const store = yield* MemoryDedupeStore.make({ ...roomy, windowMs: 60_000 })
      const memory = store.sync as MemoryDedupeStore.MemoryDedupe
      yield* store.claim("gone", "m1")
      yield* store.complete("gone", "m1", {})
      expect(memory.userCount).toBe(1)
      yield* TestClock.adjust("2 minutes")
      expect(memory.userCount).toBe(0)
    }))

  it("keeps its byte count exact through evictions, failures and sweeps", () => {
    const memory = new MemoryDedupeStore.MemoryDedupe({ ...roomy, maxEntries: 20, maxBytesPerUser: 20_000, maxBytes: 60_000 })
    for (let i = 0; i < 3000; i++) {
      const user = `u${i % 7}`
      memory.claim(user, `m${i}`)
      if (i % 5 === 0) memory.expire(user, `m${i}`)
      else memory.complete(user, `m${i}`, { pad: "y".repeat(i % 1000) }, i)
      expect(memory.bytes).toBeLessThanOrEqual(60_000)
    }
    memory.sweep(roomy.windowMs + 3000)
    expect(memory.userCount).toBe(0)
    expect(memory.bytes).toBe(0)
  })
})
