import { describe, expect, it } from "@effect/vitest"
import { Clock, Deferred, Effect, Fiber, TestClock } from "effect"
import { DedupeStore } from "../../src/session/Dedupe.js"

// how the dispatcher ends a claim: a success at the Clock's time, or a failure
const complete = (dedupe: DedupeStore, id: string, result: unknown) =>
  Effect.map(Clock.currentTimeMillis, (now) => dedupe.settle(id, { result }, now))
const release = (dedupe: DedupeStore, id: string) => Effect.sync(() => dedupe.settle(id, undefined, 0))

const store = (overrides: Partial<ConstructorParameters<typeof DedupeStore>[0]> = {}) =>
  new DedupeStore({ windowMs: 10 * 60_000, minEntries: 3, maxEntries: 100, ...overrides })

describe("DedupeStore", () => {
  it.effect("answers a repeated id with the first result", () =>
    Effect.gen(function*() {
      const dedupe = store()
      expect(yield* dedupe.begin("a")).toEqual({ _tag: "New" })
      yield* complete(dedupe, "a", { run_id: "r1" })
      expect(yield* dedupe.begin("a")).toEqual({ _tag: "Duplicate", result: { run_id: "r1" } })
    }))

  it.effect("forgets failures, so a retry is processed again", () =>
    Effect.gen(function*() {
      const dedupe = store()
      yield* dedupe.begin("a")
      yield* release(dedupe, "a")
      expect(yield* dedupe.begin("a")).toEqual({ _tag: "New" })
    }))

  it.effect("makes a concurrent duplicate wait for the first outcome", () =>
    Effect.gen(function*() {
      const dedupe = store()
      yield* dedupe.begin("a")
      const second = yield* Effect.fork(dedupe.begin("a"))
      yield* Effect.yieldNow()
      expect(second.unsafePoll()).toBeNull()
      yield* complete(dedupe, "a", { n: 1 })
      expect(yield* Fiber.join(second)).toEqual({ _tag: "Duplicate", result: { n: 1 } })
    }))

  it.effect("lets a concurrent duplicate take over when the first attempt fails", () =>
    Effect.gen(function*() {
      const dedupe = store()
      yield* dedupe.begin("a")
      const started = yield* Deferred.make<void>()
      const second = yield* Effect.fork(Effect.zipLeft(dedupe.begin("a"), Deferred.succeed(started, undefined)))
      yield* Effect.yieldNow()
      yield* release(dedupe, "a")
      expect(yield* Fiber.join(second)).toEqual({ _tag: "New" })
    }))

  it.effect("remembers ids for the window even beyond minEntries", () =>
    Effect.gen(function*() {
      const dedupe = store({ minEntries: 2 })
      for (const id of ["a", "b", "c", "d"]) {
        yield* dedupe.begin(id)
        yield* complete(dedupe, id, {})
      }
      expect(dedupe.size).toBe(4)
      expect((yield* dedupe.begin("a"))._tag).toBe("Duplicate")
    }))

  it.effect("drops ids older than the window once more than minEntries are held", () =>
    Effect.gen(function*() {
      const dedupe = store({ minEntries: 2, windowMs: 60_000 })
      for (const id of ["a", "b", "c"]) {
        yield* dedupe.begin(id)
        yield* complete(dedupe, id, {})
      }
      yield* TestClock.adjust("61 seconds")
      yield* dedupe.begin("d")
      yield* complete(dedupe, "d", {})
      // a and b expired; c and d are the last two, kept whatever their age
      expect(dedupe.size).toBe(2)
      expect((yield* dedupe.begin("a"))._tag).toBe("New")
      expect((yield* dedupe.begin("c"))._tag).toBe("Duplicate")
    }))

  it.effect("keeps the last minEntries ids however old they are", () =>
    Effect.gen(function*() {
      const dedupe = store({ minEntries: 3, windowMs: 1000 })
      for (const id of ["a", "b", "c"]) {
        yield* dedupe.begin(id)
        yield* complete(dedupe, id, {})
      }
      yield* TestClock.adjust("1 hour")
      expect((yield* dedupe.begin("a"))._tag).toBe("Duplicate")
    }))

  it("stays within maxEntries over many ids, failures and retries mixed in", () =>
    Effect.gen(function*() {
      const dedupe = store({ minEntries: 10, maxEntries: 50 })
      for (let i = 0; i < 5000; i++) {
        const id = `m${i}`
        yield* dedupe.begin(id)
        // every third first attempt fails and is retried at once, as a client would
        if (i % 3 === 0) {
          yield* release(dedupe, id)
          expect((yield* dedupe.begin(id))._tag).toBe("New")
        }
        yield* complete(dedupe, id, { i })
        expect(dedupe.size).toBeLessThanOrEqual(50)
      }
      expect(yield* dedupe.begin("m4999")).toEqual({ _tag: "Duplicate", result: { i: 4999 } })
      expect(yield* dedupe.begin("m4950")).toEqual({ _tag: "Duplicate", result: { i: 4950 } })
      expect((yield* dedupe.begin("m4949"))._tag).toBe("New")
    }))

  it("keeps evicting in claim order however many ids failed in between", () =>
    Effect.gen(function*() {
      const dedupe = store({ minEntries: 2, maxEntries: 3 })
      for (const id of ["a", "b"]) {
        yield* dedupe.begin(id)
        yield* complete(dedupe, id, {})
      }
      for (let i = 0; i < 10_000; i++) {
        yield* dedupe.begin(`f${i}`)
        yield* release(dedupe, `f${i}`)
      }
      for (const id of ["c", "d"]) {
        yield* dedupe.begin(id)
        yield* complete(dedupe, id, {})
      }
      // a went when d made four; b, c and d are the last three
      expect(dedupe.size).toBe(3)
      expect((yield* dedupe.begin("a"))._tag).toBe("New")
      expect((yield* dedupe.begin("b"))._tag).toBe("Duplicate")
    }))
})
