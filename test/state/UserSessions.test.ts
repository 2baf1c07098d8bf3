import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Effect, Exit, Layer, Scope, Stream, TestClock } from "effect"
import { Agent } from "../../src/agent/Agent.js"
import { Runs } from "../../src/agent/Runs.js"
import type { UserServices as PerUser } from "../../src/handlers/FrameContext.js"
import * as SwitchyardConfig from "../../src/Config.js"
import { Lifecycle } from "../../src/state/Lifecycle.js"
import { UserSessions } from "../../src/state/UserSessions.js"
import * as UserServices from "../../src/UserServices.js"
import * as MemoryStreams from "../../src/store/MemoryStreams.js"

const layer = UserServices.sessionsLayer.pipe(
  Layer.provide(SwitchyardConfig.layerWith({ sessionGraceMs: 60_000 })),
  Layer.provide(Lifecycle.layer),
  Layer.provide(MemoryStreams.layer({ minEvents: 100, minAgeMs: 60_000, maxEvents: 1000 }))
)

const neverEnding: Agent["Type"] = { defaultName: "slow", run: () => Stream.never }

describe("UserSessions (per-user context with a grace period)", () => {
  it.scoped("is shared by a user's connections and survives a reconnect within the grace period", () =>
    Effect.gen(function*() {
      const sessions = yield* UserSessions
      const first = yield* Scope.make()
      const session = yield* Scope.extend(sessions.acquire("alice"), first)
      const second = yield* Scope.make()
      expect(yield* Scope.extend(sessions.acquire("alice"), second)).toBe(session)
      expect(yield* Scope.extend(sessions.acquire("bob"), second)).not.toBe(session)
      yield* Scope.close(first, Exit.void)
      yield* Scope.close(second, Exit.void)
      yield* TestClock.adjust("59 seconds")
      const third = yield* Scope.make()
      expect(yield* Scope.extend(sessions.acquire("alice"), third)).toBe(session)
      yield* Scope.close(third, Exit.void)
    }).pipe(Effect.provide(layer)))

  it.scoped("after the grace period the context is released and its runs are cancelled", () =>
    Effect.gen(function*() {
      const sessions = yield* UserSessions
      const connection = yield* Scope.make()
      const session = yield* Scope.extend(sessions.acquire("carol"), connection)
      const ack = yield* Deferred.make<void>()
      yield* Deferred.succeed(ack, undefined)
      const events: Array<string> = []
      const services = session.services() as Context.Context<PerUser>
      const runs = Context.get(services, Runs)
      expect(session.services()).toBe(services)
      const runId = yield* runs.start({
        request: { text: "go", agent: undefined, threadId: undefined, params: {} },
        agent: neverEnding,
        emit: (event) => Effect.sync(() => void events.push(event.type)),
        replied: Deferred.await(ack)
      }).pipe(Effect.provide(services))
      yield* Effect.yieldNow()
      yield* Scope.close(connection, Exit.void)
      // runs keep going during the grace period
      yield* TestClock.adjust("30 seconds")
      expect(runs.get(runId)?.status).toBe("running")
      expect(yield* sessions.size).toBe(1)
      yield* TestClock.adjust("31 seconds")
      expect(runs.get(runId)?.status).toBe("cancelled")
      expect(events).toEqual(["agent_started", "agent_completed"])
      expect(yield* sessions.size).toBe(0)
      const again = yield* Scope.make()
      expect(yield* Scope.extend(sessions.acquire("carol"), again)).not.toBe(session)
    }).pipe(Effect.provide(layer)))

  it.scoped("gives connections of one user that open at the same moment one session", () =>
    Effect.gen(function*() {
      const sessions = yield* UserSessions
      // many connections of one user, acquiring concurrently (a reconnect storm)
      const acquired = yield* Effect.forEach(
        Array.from({ length: 20 }, () => sessions.acquire("dave")),
        (acquire, i) => Effect.zipRight(Effect.repeatN(Effect.yieldNow(), i % 3), acquire),
        { concurrency: "unbounded" }
      )
      expect(new Set(acquired).size).toBe(1)
      expect(yield* sessions.size).toBe(1)
    }).pipe(Effect.provide(layer)))
})
