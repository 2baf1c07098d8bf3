import { describe, expect, it } from "@effect/vitest"
import { Cause, Data, Deferred, Effect, Either, Fiber, HashMap, List, Logger, Option, Ref, TestClock } from "effect"
import * as CircuitBreaker from "../../src/resilience/CircuitBreaker.js"

class Boom extends Data.TaggedError("Boom")<{}> {}
class ClientError extends Data.TaggedError("ClientError")<{}> {}

/** A protected effect that counts its runs and succeeds or fails as told. */
const counting = Effect.fnUntraced(function*() {
  const runs = yield* Ref.make(0)
  const ok = Ref.update(runs, (n) => n + 1).pipe(Effect.as("ok"))
  const fail = Ref.update(runs, (n) => n + 1).pipe(Effect.zipRight(Effect.fail(new Boom())))
  return { runs, ok, fail }
})

const openError = <A, E>(self: Effect.Effect<A, E>) =>
  Effect.flip(self).pipe(
    Effect.flatMap((e) =>
      e instanceof CircuitBreaker.CircuitOpenError
        ? Effect.succeed(e)
        : Effect.dieMessage(`expected CircuitOpenError, got ${String(e)}`)
    )
  )

/** Opens a breaker (default options) with `n` failures. */
const failTimes = <A>(breaker: CircuitBreaker.CircuitBreaker, fail: Effect.Effect<A, Boom>, n: number) =>
  Effect.repeatN(Effect.ignore(breaker.protect(fail)), n - 1)

describe("CircuitBreaker", () => {
  it.effect("opens after maxConsecutiveFailures consecutive failures", () =>
    Effect.gen(function*() {
      const { fail, runs } = yield* counting()
      const breaker = yield* CircuitBreaker.make({ name: "t", maxConsecutiveFailures: 3 })
      expect(yield* breaker.state).toBe("closed")
      const e1 = yield* Effect.flip(breaker.protect(fail))
      expect(e1).toBeInstanceOf(Boom)
      yield* Effect.ignore(breaker.protect(fail))
      expect(yield* breaker.state).toBe("closed")
      yield* Effect.ignore(breaker.protect(fail))
      expect(yield* breaker.state).toBe("open")
      expect(yield* Ref.get(runs)).toBe(3)
    }))

  it.effect("defaults to 5 consecutive failures and counts defects", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make({ name: "t" })
      yield* Effect.repeatN(Effect.exit(breaker.protect(Effect.dieMessage("bug"))), 3)
      expect(yield* breaker.state).toBe("closed")
      yield* Effect.exit(breaker.protect(Effect.dieMessage("bug")))
      expect(yield* breaker.state).toBe("open")
    }))

  it.effect("a success resets the consecutive-failure count", () =>
    Effect.gen(function*() {
      const { fail, ok } = yield* counting()
      const breaker = yield* CircuitBreaker.make({ name: "t", maxConsecutiveFailures: 3 })
      yield* failTimes(breaker, fail, 2)
      expect(yield* breaker.protect(ok)).toBe("ok")
      yield* failTimes(breaker, fail, 2)
      expect(yield* breaker.state).toBe("closed")
      yield* failTimes(breaker, fail, 1)
      expect(yield* breaker.state).toBe("open")
    }))

  it.effect("failure-rate rule opens only with the minimum volume in the window", () =>
    Effect.gen(function*() {
      const { fail, ok } = yield* counting()
      const breaker = yield* CircuitBreaker.make({
        name: "t",
        maxConsecutiveFailures: Infinity,
        failureRate: { threshold: 0.5, window: "10 seconds", minimumCalls: 10 }
      })
      // 100% failures but below the minimum volume: stays closed.
      yield* failTimes(breaker, fail, 5)
      expect(yield* breaker.state).toBe("closed")
      // Those expire from the window.
      yield* TestClock.adjust("10 seconds")
      yield* Effect.repeatN(breaker.protect(ok), 4)
      yield* failTimes(breaker, fail, 4)
      // 9 calls in the window, 4 failures.
      expect(yield* breaker.state).toBe("closed")
      yield* failTimes(breaker, fail, 1)
      // 10 calls, 5 failures: 50% >= threshold.
      expect(yield* breaker.state).toBe("open")
    }))

  it.effect("failure-rate rule stays closed below the threshold", () =>
    Effect.gen(function*() {
      const { fail, ok } = yield* counting()
      const breaker = yield* CircuitBreaker.make({
        name: "t",
        maxConsecutiveFailures: Infinity,
        failureRate: { threshold: 0.5, window: "10 seconds", minimumCalls: 4 }
      })
      for (let i = 1; i <= 20; i++) {
        yield* Effect.ignore(breaker.protect(i % 3 === 0 ? fail : ok))
      }
      expect(yield* breaker.state).toBe("closed")
    }))

  it.effect("open fails fast with CircuitOpenError without running the effect", () =>
    Effect.gen(function*() {
      const { fail, ok, runs } = yield* counting()
      const breaker = yield* CircuitBreaker.make({ name: "orders", maxConsecutiveFailures: 2, resetTimeout: "30 seconds" })
      yield* failTimes(breaker, fail, 2)
      yield* TestClock.adjust("10 seconds")
      const error = yield* openError(breaker.protect(ok))
      expect(error._tag).toBe("CircuitOpenError")
      expect(error.breaker).toBe("orders")
      expect(error.state).toBe("open")
      expect(error.retryAfterMs).toBe(20_000)
      expect(error.message).toContain("orders")
      expect(yield* Ref.get(runs)).toBe(2)
    }))

  it.effect("open turns half_open once resetTimeout has elapsed", () =>
    Effect.gen(function*() {
      const { fail } = yield* counting()
      const breaker = yield* CircuitBreaker.make({ name: "t", maxConsecutiveFailures: 1 })
      yield* failTimes(breaker, fail, 1)
      yield* TestClock.adjust("59 seconds")
      expect(yield* breaker.state).toBe("open")
      expect((yield* openError(breaker.protect(fail))).retryAfterMs).toBe(1_000)
      yield* TestClock.adjust("1 second")
      expect(yield* breaker.state).toBe("half_open")
    }))

  it.effect("half_open lets exactly one probe through under concurrency", () =>
    Effect.gen(function*() {
      const { fail } = yield* counting()
      const breaker = yield* CircuitBreaker.make({ name: "t", maxConsecutiveFailures: 1, resetTimeout: "1 minute" })
      yield* failTimes(breaker, fail, 1)
      yield* TestClock.adjust("1 minute")

      const gate = yield* Deferred.make<void>()
      const ran = yield* Ref.make(0)
      const rejected = yield* Ref.make(0)
      const allRejected = yield* Deferred.make<void>()
      const probe = Ref.update(ran, (n) => n + 1).pipe(Effect.zipRight(Deferred.await(gate)), Effect.as("probed"))
      const call = breaker.protect(probe).pipe(
        Effect.tapError(() =>
          Ref.updateAndGet(rejected, (n) => n + 1).pipe(
            Effect.flatMap((n) => n === 9 ? Deferred.succeed(allRejected, undefined) : Effect.void)
          )
        ),
        Effect.either
      )
      const fibers = yield* Effect.forEach(Array.from({ length: 10 }), () => Effect.fork(call))

      yield* Deferred.await(allRejected)
      expect(yield* Ref.get(ran)).toBe(1)
      expect(yield* breaker.state).toBe("half_open")

      yield* Deferred.succeed(gate, undefined)
      const results = yield* Effect.forEach(fibers, Fiber.join)
      const lefts = results.filter(Either.isLeft).map((r) => r.left)
      const rights = results.filter(Either.isRight).map((r) => r.right)
      expect(rights).toEqual(["probed"])
      expect(lefts).toHaveLength(9)
      for (const e of lefts) {
        expect(e._tag).toBe("CircuitOpenError")
        expect(e.state).toBe("half_open")
      }
      expect(yield* breaker.state).toBe("closed")
    }))

  it.effect("a successful probe closes the breaker and resets the counters", () =>
    Effect.gen(function*() {
      const { fail, ok } = yield* counting()
      const breaker = yield* CircuitBreaker.make({ name: "t", maxConsecutiveFailures: 2 })
      yield* failTimes(breaker, fail, 2)
      yield* TestClock.adjust("60 seconds")
      expect(yield* breaker.protect(ok)).toBe("ok")
      expect(yield* breaker.state).toBe("closed")
      // Counters were reset: one failure does not reopen it.
      yield* failTimes(breaker, fail, 1)
      expect(yield* breaker.state).toBe("closed")
      yield* failTimes(breaker, fail, 1)
      expect(yield* breaker.state).toBe("open")
    }))

  it.effect("a failed probe reopens the breaker with a new reset timer", () =>
    Effect.gen(function*() {
      const { fail, ok, runs } = yield* counting()
      const breaker = yield* CircuitBreaker.make({ name: "t", maxConsecutiveFailures: 2, resetTimeout: "1 minute" })
      yield* failTimes(breaker, fail, 2)
      yield* TestClock.adjust("90 seconds")
      expect(yield* Effect.flip(breaker.protect(fail))).toBeInstanceOf(Boom)
      expect(yield* breaker.state).toBe("open")
      expect((yield* openError(breaker.protect(ok))).retryAfterMs).toBe(60_000)
      yield* TestClock.adjust("59 seconds")
      expect(yield* breaker.state).toBe("open")
      yield* TestClock.adjust("1 second")
      expect(yield* breaker.protect(ok)).toBe("ok")
      expect(yield* breaker.state).toBe("closed")
      expect(yield* Ref.get(runs)).toBe(4)
    }))

  it.effect("an interrupted probe releases its slot", () =>
    Effect.gen(function*() {
      const { fail, ok } = yield* counting()
      const breaker = yield* CircuitBreaker.make({ name: "t", maxConsecutiveFailures: 1 })
      yield* failTimes(breaker, fail, 1)
      yield* TestClock.adjust("60 seconds")

      const started = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(breaker.protect(Deferred.succeed(started, undefined).pipe(Effect.zipRight(Effect.never))))
      yield* Deferred.await(started)
      // The probe is in flight: others are turned away.
      expect((yield* openError(breaker.protect(ok))).state).toBe("half_open")
      yield* Fiber.interrupt(fiber)
      expect(yield* breaker.state).toBe("half_open")
      // The next caller probes instead.
      expect(yield* breaker.protect(ok)).toBe("ok")
      expect(yield* breaker.state).toBe("closed")
    }))

  it.effect("interrupting calls while closed counts neither way", () =>
    Effect.gen(function*() {
      const { fail } = yield* counting()
      const breaker = yield* CircuitBreaker.make({ name: "t", maxConsecutiveFailures: 2 })
      yield* failTimes(breaker, fail, 1)
      const fiber = yield* Effect.fork(breaker.protect(Effect.never))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiber)
      expect(yield* breaker.state).toBe("closed")
      yield* failTimes(breaker, fail, 1)
      expect(yield* breaker.state).toBe("open")
    }))

  it.effect("isFailure excludes causes from counting (and they count as successes)", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make({
        name: "t",
        maxConsecutiveFailures: 2,
        isFailure: (cause) => !Option.exists(Cause.failureOption(cause), (e) => e instanceof ClientError)
      })
      yield* Effect.repeatN(Effect.ignore(breaker.protect(Effect.fail(new ClientError()))), 9)
      expect(yield* breaker.state).toBe("closed")
      yield* Effect.ignore(breaker.protect(Effect.fail(new Boom())))
      yield* Effect.ignore(breaker.protect(Effect.fail(new ClientError())))
      yield* Effect.ignore(breaker.protect(Effect.fail(new Boom())))
      expect(yield* breaker.state).toBe("closed")
      yield* Effect.ignore(breaker.protect(Effect.fail(new Boom())))
      expect(yield* breaker.state).toBe("open")
    }))

  it.effect("calls onStateChange on every transition, in order", () =>
    Effect.gen(function*() {
      const { fail, ok } = yield* counting()
      const changes = yield* Ref.make<ReadonlyArray<string>>([])
      const breaker = yield* CircuitBreaker.make({
        name: "t",
        maxConsecutiveFailures: 1,
        resetTimeout: "10 seconds",
        onStateChange: (from, to) => Ref.update(changes, (xs) => [...xs, `${from}->${to}`])
      })
      yield* failTimes(breaker, fail, 1)
      yield* TestClock.adjust("10 seconds")
      yield* Effect.ignore(breaker.protect(fail))
      yield* TestClock.adjust("10 seconds")
      yield* breaker.protect(ok)
      yield* breaker.protect(ok)
      expect(yield* Ref.get(changes)).toEqual([
        "closed->open",
        "open->half_open",
        "half_open->open",
        "open->half_open",
        "half_open->closed"
      ])
    }))

  it.effect("logs state changes annotated with the breaker name", () =>
    Effect.gen(function*() {
      const { fail } = yield* counting()
      const logs = yield* Ref.make<ReadonlyArray<{ message: unknown; breaker: unknown; to: unknown }>>([])
      const logger = Logger.make(({ annotations, message }) => {
        const entry = {
          message: List.isList(message) ? List.toArray(message) : message,
          breaker: Option.getOrUndefined(HashMap.get(annotations, "breaker")),
          to: Option.getOrUndefined(HashMap.get(annotations, "to"))
        }
        Effect.runSync(Ref.update(logs, (xs) => [...xs, entry]))
      })
      yield* Effect.gen(function*() {
        const breaker = yield* CircuitBreaker.make({ name: "payments", maxConsecutiveFailures: 1 })
        yield* failTimes(breaker, fail, 1)
      }).pipe(Effect.provide(Logger.add(logger)))
      const entries = yield* Ref.get(logs)
      expect(entries).toHaveLength(1)
      expect(entries[0]!.breaker).toBe("payments")
      expect(entries[0]!.to).toBe("open")
    }))

  it.effect("a failing onStateChange does not break the breaker", () =>
    Effect.gen(function*() {
      const { fail, ok } = yield* counting()
      const breaker = yield* CircuitBreaker.make({
        name: "t",
        maxConsecutiveFailures: 1,
        onStateChange: () => Effect.dieMessage("listener bug")
      })
      expect(yield* Effect.flip(breaker.protect(fail))).toBeInstanceOf(Boom)
      expect(yield* breaker.state).toBe("open")
      yield* TestClock.adjust("60 seconds")
      expect(yield* breaker.protect(ok)).toBe("ok")
    }))

  it.effect("withCircuitBreaker is the pipeable form of protect", () =>
    Effect.gen(function*() {
      const { fail, ok } = yield* counting()
      const breaker = yield* CircuitBreaker.make({ name: "t", maxConsecutiveFailures: 1 })
      expect(yield* ok.pipe(CircuitBreaker.withCircuitBreaker(breaker))).toBe("ok")
      yield* Effect.ignore(fail.pipe(CircuitBreaker.withCircuitBreaker(breaker)))
      const e = yield* openError(ok.pipe(CircuitBreaker.withCircuitBreaker(breaker)))
      expect(e.breaker).toBe("t")
    }))

  it.effect("rejects invalid options", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(CircuitBreaker.make({ name: "t", maxConsecutiveFailures: 0 }))
      expect(exit._tag).toBe("Failure")
      const exit2 = yield* Effect.exit(
        CircuitBreaker.make({ name: "t", failureRate: { threshold: 1.5, window: "1 minute", minimumCalls: 1 } })
      )
      expect(exit2._tag).toBe("Failure")
    }))

  describe("protectDeferred: a success judged later (an agent run's end)", () => {
    it.effect("provisional successes that settle as failures open the breaker; they never reset the count", () =>
      Effect.gen(function*() {
        const breaker = yield* CircuitBreaker.make({ name: "t", maxConsecutiveFailures: 3 })
        for (let i = 0; i < 3; i++) {
          const [value, settle] = yield* breaker.protectDeferred(Effect.succeed("started"))
          expect(value).toBe("started")
          expect(yield* breaker.state).toBe("closed")
          yield* settle("failure")
          yield* settle("success") // ignored: only the first verdict counts
        }
        expect(yield* breaker.state).toBe("open")
      }))

    it.effect("a half-open probe holds its slot until settled; neutral releases it, success closes", () =>
      Effect.gen(function*() {
        const { fail } = yield* counting()
        const breaker = yield* CircuitBreaker.make({ name: "t", maxConsecutiveFailures: 1, resetTimeout: "1 minute" })
        yield* Effect.ignore(breaker.protect(fail))
        yield* TestClock.adjust("1 minute")
        const [, probe] = yield* breaker.protectDeferred(Effect.succeed("run"))
        // the probe's run is still going: nobody else gets through
        expect((yield* openError(breaker.protect(Effect.succeed(1)))).state).toBe("half_open")
        yield* probe("neutral")
        const [, second] = yield* breaker.protectDeferred(Effect.succeed("run"))
        yield* second("success")
        expect(yield* breaker.state).toBe("closed")
      }))

    it.effect("a failure of the call itself is judged at once", () =>
      Effect.gen(function*() {
        const { fail } = yield* counting()
        const breaker = yield* CircuitBreaker.make({ name: "t", maxConsecutiveFailures: 1 })
        expect(yield* Effect.flip(breaker.protectDeferred(fail))).toBeInstanceOf(Boom)
        expect(yield* breaker.state).toBe("open")
      }))
  })
})
