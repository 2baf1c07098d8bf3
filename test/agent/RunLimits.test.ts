import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, FiberMap, Stream, TestClock } from "effect"
import type { Agent } from "../../src/agent/Agent.js"
import * as RunLimits from "../../src/agent/RunLimits.js"
import { RunRegistry } from "../../src/agent/Runs.js"
import { ConversationMemory, Conversations } from "../../src/state/Conversations.js"
import { LifecycleState } from "../../src/state/Lifecycle.js"

describe("RunLimiter", () => {
  it("admits perMinute starts in any window and says when the oldest leaves it", () => {
    const limiter = new RunLimits.RunLimiter({ perMinute: 3, concurrent: Infinity })
    expect(limiter.tryStart(0)).toBeUndefined()
    expect(limiter.tryStart(10_000)).toBeUndefined()
    expect(limiter.tryStart(20_000)).toBeUndefined()
    const refused = limiter.tryStart(30_000)
    expect(refused).toMatchObject({ reason: "PerMinute", limit: 3, retryAfterMs: 30_000 })
    expect(limiter.tryStart(59_999.5)?.retryAfterMs).toBe(1) // a positive integer, never 0
    expect(limiter.tryStart(60_000)).toBeUndefined() // the start at 0 left the window
    expect(limiter.tryStart(60_000)?.retryAfterMs).toBe(10_000)
  })

  it("admits `concurrent` runs at once and one more after one ended", () => {
    const limiter = new RunLimits.RunLimiter({ perMinute: Infinity, concurrent: 2 })
    expect(limiter.tryStart(0)).toBeUndefined()
    expect(limiter.tryStart(0)).toBeUndefined()
    expect(limiter.tryStart(0)).toMatchObject({ reason: "Concurrent", limit: 2, retryAfterMs: RunLimits.CONCURRENT_RETRY_MS })
    limiter.ended()
    expect(limiter.tryStart(0)).toBeUndefined()
    expect(limiter.active).toBe(2)
  })

  it("a refused start is not counted against the window", () => {
    const limiter = new RunLimits.RunLimiter({ perMinute: 1, concurrent: 1 })
    expect(limiter.tryStart(0)).toBeUndefined()
    expect(limiter.tryStart(1_000)?.reason).toBe("Concurrent")
    limiter.ended()
    expect(limiter.tryStart(60_000)).toBeUndefined()
  })

  it("reads 0 from the settings as no limit", () => {
    expect(RunLimits.fromSettings(0, 0)).toEqual(RunLimits.unlimited)
    expect(RunLimits.fromSettings(30, 5)).toEqual({ perMinute: 30, concurrent: 5 })
  })
})

// an agent whose runs end when `release` says so: `hold` runs never end by themselves
const agent = (hold: boolean): Agent["Type"] => ({
  defaultName: "test",
  run: () => Stream.empty,
  runForEach: () => (hold ? Effect.never : Effect.void)
})

const start = (registry: RunRegistry, hold: boolean) =>
  Effect.either(registry.start({
    request: { text: "hi", agent: undefined, threadId: undefined, params: {} },
    agent: agent(hold),
    emit: () => Effect.void,
    replied: Effect.void
  }).pipe(Effect.provideService(Conversations, new ConversationMemory({ maxTurns: 1, maxChars: 100, maxThreads: 1 }))))

describe("RunRegistry's run limits (effect Clock)", () => {
  it.scoped("refuses a start over the per-minute limit until TestClock moves the window on", () =>
    Effect.gen(function*() {
      const fibers = yield* FiberMap.make<string>()
      const registry = new RunRegistry("u1", fibers, 100, new LifecycleState(), { perMinute: 2, concurrent: Infinity })
      expect(Either.isRight(yield* start(registry, false))).toBe(true)
      yield* TestClock.adjust("10 seconds")
      expect(Either.isRight(yield* start(registry, false))).toBe(true)
      const refused = yield* start(registry, false)
      expect(refused).toEqual(Either.left(new RunLimits.RunLimitExceeded({ reason: "PerMinute", limit: 2, retryAfterMs: 50_000 })))
      yield* TestClock.adjust("50 seconds")
      expect(Either.isRight(yield* start(registry, false))).toBe(true)
    }))

  it.scoped("refuses a start over the running-at-once limit until a run ends (stopped)", () =>
    Effect.gen(function*() {
      const fibers = yield* FiberMap.make<string>()
      const registry = new RunRegistry("u1", fibers, 100, new LifecycleState(), { perMinute: Infinity, concurrent: 1 })
      const first = yield* start(registry, true)
      expect(Either.isLeft(yield* start(registry, true))).toBe(true)
      yield* registry.stop(Either.getOrThrow(first), Effect.void)
      yield* Effect.yieldNow()
      yield* FiberMap.awaitEmpty(fibers)
      expect(registry.running).toBe(0)
      expect(Either.isRight(yield* start(registry, true))).toBe(true)
    }))

  it.scoped("a registry made without limits (the migration's shadow side) has none", () =>
    Effect.gen(function*() {
      const fibers = yield* FiberMap.make<string>()
      const registry = new RunRegistry("u1", fibers, 100, new LifecycleState())
      for (let i = 0; i < 50; i++) expect(Either.isRight(yield* start(registry, true))).toBe(true)
      expect(registry.running).toBe(50)
    }))
})
