import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, TestClock } from "effect"
import { type Expiring, TokenExpiry } from "../../src/transport/TokenExpiry.js"

const NOW_S = 1_700_000_000

/** A watched target that records when it expired (in TestClock seconds). */
const target = (expired: Array<string>, name: string): Expiring & { readonly name: string } => ({
  name,
  expiryBucket: undefined,
  tokenExpired() {
    expired.push(name)
  }
})

const withWheel = <A, E>(f: (wheel: TokenExpiry) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(NOW_S * 1000)
    return yield* Effect.flatMap(TokenExpiry, f).pipe(Effect.provide(TokenExpiry.Default))
  })

describe("TokenExpiry", () => {
  it.scoped("expires each target at its second, once, and never one that was unwatched", () =>
    withWheel((wheel) =>
      Effect.gen(function*() {
        const expired: Array<string> = []
        const a = target(expired, "a")
        const b = target(expired, "b")
        const c = target(expired, "c")
        wheel.watch(a, NOW_S + 2)
        wheel.watch(b, NOW_S + 5)
        wheel.watch(c, NOW_S + 2)
        expect(wheel.size()).toBe(3)
        wheel.unwatch(c)
        expect(wheel.size()).toBe(2)
        yield* TestClock.adjust("1 second")
        expect(expired).toEqual([])
        yield* TestClock.adjust("1 second")
        expect(expired).toEqual(["a"])
        yield* TestClock.adjust("2 seconds")
        expect(expired).toEqual(["a"])
        yield* TestClock.adjust("1 second")
        expect(expired).toEqual(["a", "b"])
        yield* TestClock.adjust("10 seconds")
        expect(expired).toEqual(["a", "b"])
        expect(wheel.size()).toBe(0)
      })
    ))

  it.scoped("a token already past its exp (taken within the leeway) expires with the next sweep", () =>
    withWheel((wheel) =>
      Effect.gen(function*() {
        const expired: Array<string> = []
        wheel.watch(target(expired, "late"), NOW_S - 20)
        expect(expired).toEqual([])
        yield* TestClock.adjust("1 second")
        expect(expired).toEqual(["late"])
      })
    ))

  it.scoped("watching again moves a target; a clock jump expires everything due, visiting buckets not seconds", () =>
    Effect.gen(function*() {
      // a clock that only moves when told, and whose sleeps never end: the test sweeps by hand
      let millis = NOW_S * 1000
      const clock: Clock.Clock = {
        [Clock.ClockTypeId]: Clock.ClockTypeId,
        unsafeCurrentTimeMillis: () => millis,
        currentTimeMillis: Effect.sync(() => millis),
        unsafeCurrentTimeNanos: () => BigInt(millis) * 1_000_000n,
        currentTimeNanos: Effect.sync(() => BigInt(millis) * 1_000_000n),
        sleep: () => Effect.never
      }
      const wheel = yield* Effect.provide(TokenExpiry, TokenExpiry.Default).pipe(Effect.withClock(clock))
      const expired: Array<string> = []
      const a = target(expired, "a")
      wheel.watch(a, NOW_S + 2)
      wheel.watch(a, NOW_S + 100_000)
      expect(wheel.size()).toBe(1)
      wheel.watch(target(expired, "b"), NOW_S + 50_000)
      millis += 3000
      yield* wheel.sweep
      expect(expired).toEqual([])
      // two buckets, 200,000 seconds: the sweep visits the two buckets
      millis = (NOW_S + 200_000) * 1000
      yield* wheel.sweep
      expect(expired.sort()).toEqual(["a", "b"])
      expect(wheel.size()).toBe(0)
    }))
})
