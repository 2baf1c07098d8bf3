import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, type Layer, TestClock } from "effect"
import { type DedupeOptions, DedupeStore } from "../../src/store/DedupeStore.js"

/** Bounds wide enough that only the bound a test is about ever bites. */
export const roomy: DedupeOptions = {
  windowMs: 10 * 60_000,
  minEntries: 3,
  maxEntries: 100,
  maxBytesPerUser: 1 << 20,
  maxResultBytes: 64 * 1024,
  maxBytes: 1 << 24
}

// a result whose JSON is about `n` characters
const sized = (n: number) => ({ pad: "x".repeat(n) })

/**
 * What every `DedupeStore` must do (PROTOCOL §5), whatever it stores in:
 * run it against each implementation with a way to make it from bounds.
 * Time is the TestClock's, so window expiry is tested without waiting.
 */
export const dedupeStoreSuite = (
  name: string,
  makeLayer: (options: DedupeOptions) => Layer.Layer<DedupeStore>
) =>
  describe(`DedupeStore conformance: ${name}`, () => {
    const withStore = <A, E>(
      overrides: Partial<DedupeOptions>,
      body: (store: DedupeStore["Type"]) => Effect.Effect<A, E>
    ) => Effect.provide(Effect.flatMap(DedupeStore, body), makeLayer({ ...roomy, ...overrides }))

    // claims the id and completes it at once, as a successful frame does
    const remember = (store: DedupeStore["Type"], user: string, id: string, result: object) =>
      Effect.zipRight(store.claim(user, id), store.complete(user, id, result))

    it.effect("answers a repeated id with the first result", () =>
      withStore({}, (store) =>
        Effect.gen(function*() {
          expect(yield* store.claim("u", "a")).toEqual({ _tag: "New" })
          yield* store.complete("u", "a", { run_id: "r1" })
          expect(yield* store.claim("u", "a")).toEqual({ _tag: "Duplicate", result: { run_id: "r1" } })
        })))

    it.effect("keeps users apart: the same id of another user is new", () =>
      withStore({}, (store) =>
        Effect.gen(function*() {
          yield* remember(store, "u1", "a", { n: 1 })
          expect(yield* store.claim("u2", "a")).toEqual({ _tag: "New" })
        })))

    it.effect("forgets an expired claim (a failure), so a retry is processed again", () =>
      withStore({}, (store) =>
        Effect.gen(function*() {
          yield* store.claim("u", "a")
          yield* store.expire("u", "a")
          expect(yield* store.claim("u", "a")).toEqual({ _tag: "New" })
        })))

    it.effect("reports a claim in progress as pending, and `settled` waits for its outcome", () =>
      withStore({}, (store) =>
        Effect.gen(function*() {
          yield* store.claim("u", "a")
          expect(yield* store.claim("u", "a")).toEqual({ _tag: "Pending" })
          const waiting = yield* Effect.fork(store.settled("u", "a"))
          yield* Effect.yieldNow()
          expect(waiting.unsafePoll()).toBeNull()
          yield* store.complete("u", "a", { n: 1 })
          yield* Fiber.join(waiting)
          expect(yield* store.claim("u", "a")).toEqual({ _tag: "Duplicate", result: { n: 1 } })
        })))

    it.effect("wakes a waiter when the claim fails, and the id is then the waiter's to claim", () =>
      withStore({}, (store) =>
        Effect.gen(function*() {
          yield* store.claim("u", "a")
          const waiting = yield* Effect.fork(store.settled("u", "a"))
          yield* Effect.yieldNow()
          yield* store.expire("u", "a")
          yield* Fiber.join(waiting)
          expect(yield* store.claim("u", "a")).toEqual({ _tag: "New" })
        })))

    it.effect("`settled` of an id nobody holds completes at once", () =>
      withStore({}, (store) => store.settled("u", "nobody")))

    it.effect("remembers every id of the window, beyond minEntries", () =>
      withStore({ minEntries: 2 }, (store) =>
        Effect.gen(function*() {
          for (const id of ["a", "b", "c", "d"]) yield* remember(store, "u", id, {})
          yield* TestClock.adjust("9 minutes")
          expect((yield* store.claim("u", "a"))._tag).toBe("Duplicate")
        })))

    it.effect("forgets ids after the window, even those of a user who never came back", () =>
      withStore({ minEntries: 3, windowMs: 60_000 }, (store) =>
        Effect.gen(function*() {
          yield* remember(store, "left", "a", {})
          yield* remember(store, "stays", "x", {})
          yield* TestClock.adjust("30 seconds")
          yield* remember(store, "stays", "y", {})
          yield* TestClock.adjust("31 seconds")
          // 61 s: a and x are out of the window, y is 31 s old
          expect((yield* store.claim("left", "a"))._tag).toBe("New")
          expect((yield* store.claim("stays", "x"))._tag).toBe("New")
          expect((yield* store.claim("stays", "y"))._tag).toBe("Duplicate")
        })))

    it.effect("within the window, keeps at most maxEntries per user, the newest", () =>
      withStore({ minEntries: 2, maxEntries: 3 }, (store) =>
        Effect.gen(function*() {
          for (const id of ["a", "b", "c", "d"]) yield* remember(store, "u", id, {})
          expect((yield* store.claim("u", "b"))._tag).toBe("Duplicate")
          expect((yield* store.claim("u", "d"))._tag).toBe("Duplicate")
          expect((yield* store.claim("u", "a"))._tag).toBe("New")
        })))

    it.effect("bounds the bytes of one user's results: the oldest go first", () =>
      withStore({ maxBytesPerUser: 50_000 }, (store) =>
        Effect.gen(function*() {
          for (let i = 0; i < 10; i++) yield* remember(store, "u", `m${i}`, sized(10_000))
          expect(yield* store.claim("u", "m9")).toEqual({ _tag: "Duplicate", result: sized(10_000) })
          expect((yield* store.claim("u", "m0"))._tag).toBe("New")
          // another user's results are not counted against this one
          yield* remember(store, "v", "a", sized(10_000))
          expect((yield* store.claim("v", "a"))._tag).toBe("Duplicate")
        })))

    it.effect("does not remember a result over maxResultBytes: the id is processed again", () =>
      withStore({ maxResultBytes: 1000 }, (store) =>
        Effect.gen(function*() {
          yield* remember(store, "u", "small", sized(500))
          yield* remember(store, "u", "big", sized(5000))
          expect((yield* store.claim("u", "big"))._tag).toBe("New")
          expect(yield* store.claim("u", "small")).toEqual({ _tag: "Duplicate", result: sized(500) })
        })))

    it.effect("bounds the bytes of all users together: the node's oldest go first", () =>
      withStore({ maxBytes: 50_000 }, (store) =>
        Effect.gen(function*() {
          for (let i = 0; i < 10; i++) yield* remember(store, `user-${i}`, "a", sized(10_000))
          expect((yield* store.claim("user-9", "a"))._tag).toBe("Duplicate")
          expect((yield* store.claim("user-0", "a"))._tag).toBe("New")
        })))

    it.effect("stays correct over many ids with failures and retries mixed in", () =>
      withStore({ minEntries: 10, maxEntries: 50 }, (store) =>
        Effect.gen(function*() {
          for (let i = 0; i < 2000; i++) {
            const id = `m${i}`
            yield* store.claim("u", id)
            // every third first attempt fails and is retried at once, as a client would
            if (i % 3 === 0) {
              yield* store.expire("u", id)
              expect((yield* store.claim("u", id))._tag).toBe("New")
            }
            yield* store.complete("u", id, { i })
          }
          expect(yield* store.claim("u", "m1999")).toEqual({ _tag: "Duplicate", result: { i: 1999 } })
          expect(yield* store.claim("u", "m1950")).toEqual({ _tag: "Duplicate", result: { i: 1950 } })
          expect((yield* store.claim("u", "m1949"))._tag).toBe("New")
        })))
  
    it.effect("`record` claims and remembers an id in one step: a repeat is a duplicate, a held id is pending", () =>
      withStore({}, (store) =>
        Effect.gen(function*() {
          expect(yield* store.record("u", "t1", {})).toEqual({ _tag: "New" })
          expect(yield* store.claim("u", "t1")).toEqual({ _tag: "Duplicate", result: {} })
          expect(yield* store.record("u", "t1", {})).toEqual({ _tag: "Duplicate", result: {} })
          // an id another frame is processing is not taken over
          yield* store.claim("u", "held")
          expect(yield* store.record("u", "held", {})).toEqual({ _tag: "Pending" })
          // a recorded id whose frame failed after all is forgotten like any other
          yield* store.record("u", "t2", {})
          yield* store.expire("u", "t2")
          expect(yield* store.record("u", "t2", {})).toEqual({ _tag: "New" })
        })))

    it.effect("`record`ed ids count in the bounds and leave with the window", () =>
      withStore({ minEntries: 2, maxEntries: 3, windowMs: 60_000 }, (store) =>
        Effect.gen(function*() {
          for (const id of ["a", "b", "c", "d"]) yield* store.record("u", id, {})
          expect((yield* store.claim("u", "a"))._tag).toBe("New")
          expect((yield* store.claim("u", "d"))._tag).toBe("Duplicate")
          yield* TestClock.adjust("61 seconds")
          expect((yield* store.record("u", "d", {}))._tag).toBe("New")
        })))

    it.effect("keeps users apart whatever their ids hold: braces, colons, other users' key names", () =>
      withStore({}, (store) =>
        Effect.gen(function*() {
          // with raw ids in key names "a}:e" would end user "a"'s hash tag and name its keys
          const users = ["a", "a}", "a}:e", "{a}", "a:b", "a}:s:x", "ä", ""]
          for (const [i, user] of users.entries()) yield* remember(store, user, "m:}{", { i })
          for (const [i, user] of users.entries()) {
            expect(yield* store.claim(user, "m:}{")).toEqual({ _tag: "Duplicate", result: { i } })
          }
          expect((yield* store.claim("a}", "m"))._tag).toBe("New")
        })))

    it.effect("keeps ids and users apart that differ only in lone surrogates, or in one against U+FFFD", () =>
      withStore({}, (store) =>
        Effect.gen(function*() {
          // (a JSON `"\ud800"` parses to a lone surrogate, which UTF-8 cannot hold: it became U+FFFD)
          const texts = ["x\uD800", "x\uDC00", "x\uFFFD", "x\uDBFF\uDBFF"]
          for (const [i, id] of texts.entries()) {
            expect(yield* store.claim("u", id)).toEqual({ _tag: "New" })
            yield* store.complete("u", id, { i })
          }
          for (const [i, user] of texts.entries()) {
            expect(yield* store.claim(user, "m")).toEqual({ _tag: "New" })
            yield* store.complete(user, "m", { i })
          }
          for (const [i, text] of texts.entries()) {
            expect(yield* store.claim("u", text)).toEqual({ _tag: "Duplicate", result: { i } })
            expect(yield* store.claim(text, "m")).toEqual({ _tag: "Duplicate", result: { i } })
          }
          // a chain holding one waits for another: no cycle with itself
          if (store.sharedWaits !== undefined) {
            expect(yield* store.sharedWaits.enter("u", ["x\uD800"], "x\uDC00")).toBe(true)
            expect(yield* store.sharedWaits.enter("u", ["x\uDC00"], "x\uFFFD")).toBe(true)
            expect(yield* store.sharedWaits.enter("u", ["x\uFFFD"], "x\uD800")).toBe(false)
          }
        })))
  })
