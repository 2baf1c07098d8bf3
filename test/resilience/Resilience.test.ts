import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import * as Resilience from "../../src/resilience/Resilience.js"
import { FrameError } from "../../src/protocol/FrameError.js"
import * as CircuitBreaker from "../../src/resilience/CircuitBreaker.js"

describe("Resilience combinators (usable on any handler)", () => {
  it.effect("withTimeout answers TIMEOUT and interrupts the slow effect", () =>
    Effect.gen(function*() {
      let interrupted = false
      const slow = Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => (interrupted = true))))
      const fiber = yield* Effect.fork(Effect.flip(Resilience.withTimeout("2 seconds", "the quote handler")(slow)))
      yield* TestClock.adjust("2 seconds")
      const error = yield* Fiber.join(fiber)
      expect(error).toMatchObject({ code: "TIMEOUT", message: "the quote handler did not answer within 2s" })
      expect(interrupted).toBe(true)
    }))

  it.effect("guard: timeouts and failures trip the breaker, client errors do not; open answers UNAVAILABLE", () =>
    Effect.gen(function*() {
      const breaker = yield* CircuitBreaker.make({
        name: "quote",
        maxConsecutiveFailures: 2,
        isFailure: Resilience.isImplementationFailure
      })
      const guarded = Resilience.guard({ breaker, timeout: "1 second" })
      // client errors, however many, leave it closed
      for (let i = 0; i < 5; i++) {
        yield* Effect.flip(guarded(Effect.fail(FrameError.invalidMessage("bad", ["payload"], "x"))))
      }
      expect(yield* breaker.state).toBe("closed")
      // a timeout and a failure open it
      const slow = yield* Effect.fork(Effect.flip(guarded(Effect.never)))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(slow)).toMatchObject({ code: "TIMEOUT" })
      yield* Effect.flip(guarded(Effect.fail(FrameError.handlerFailed("down"))))
      expect(yield* breaker.state).toBe("open")
      const refused = yield* Effect.flip(guarded(Effect.succeed("never runs")))
      expect(Resilience.toFrameError(refused)).toMatchObject({
        code: "UNAVAILABLE",
        details: { breaker: "quote", retry_after_ms: 60_000 }
      })
    }))

  it("classifies client errors", () => {
    expect(Resilience.isClientError(FrameError.notFound("x"))).toBe(true)
    expect(Resilience.isClientError(FrameError.handlerFailed("x"))).toBe(false)
    expect(Resilience.isClientError(new Error("x"))).toBe(false)
  })
})
