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
import { Backplane } from "../../src/store/Backplane.js"
import { HistoryStore } from "../../src/store/HistoryStore.js"

const layer = UserServices.sessionsLayer.pipe(
  Layer.provide(SwitchyardConfig.layerWith({ sessionGraceMs: 60_000 })),
  Layer.provide(Lifecycle.layer),
  Layer.provide(MemoryStreams.layer({ minEvents: 100, minAgeMs: 60_000, maxEvents: 1000 }))
)

/**
 * Sessions over the memory backplane without its `subscribeNow` (as a shared
 * store has none), its `subscribe` replaced by `subscribe(memory's subscribe, count)`
 * (`count`: the subscribes so far, this one included); and the streams behind it.
 */
const sessionsOver = (
  subscribe: (memory: () => ReturnType<Backplane["Type"]["subscribe"]>, count: number) => ReturnType<Backplane["Type"]["subscribe"]>
) => {
  const streams = new MemoryStreams.MemoryStreams({ minEvents: 100, minAgeMs: 60_000, maxEvents: 1000 })
  const { subscribeNow: _, ...memory } = MemoryStreams.backplane(streams)
  const counted = { subscribes: 0 }
  const backplane: Backplane["Type"] = {
    ...memory,
    subscribe: (userId, listener) => Effect.suspend(() => subscribe(() => memory.subscribe(userId, listener), ++counted.subscribes))
  }
  const layer = UserServices.sessionsLayer.pipe(
    Layer.provide(SwitchyardConfig.layerWith({ sessionGraceMs: 60_000 })),
    Layer.provide(Lifecycle.layer),
    Layer.provide(Layer.succeedContext(Context.make(Backplane, backplane).pipe(Context.add(HistoryStore, MemoryStreams.historyStore(streams)))))
  )
  return { streams, counted, layer }
}

/** Sessions over a backplane whose subscribe waits (as a shared store's does), counting its subscriptions. */
const waitingStores = () => sessionsOver((subscribe) => Effect.zipRight(Effect.yieldNow(), subscribe()))

/** Sessions over a backplane whose first subscribe dies, as a shared store's does when Redis is away (its errors are defects). */
const failingFirstSubscribe = () =>
  sessionsOver((subscribe, count) =>
    count === 1 ? Effect.zipRight(Effect.yieldNow(), Effect.die(new Error("Connection is closed."))) : subscribe()
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

  it.scoped("makes one session for connections of a user that open while its stream is subscribing (a shared store), and ends it after the grace period", () => {
    const { counted, layer, streams } = waitingStores()
    return Effect.gen(function*() {
      const sessions = yield* UserSessions
      expect(sessions.holdNow("erin")).toBeUndefined()
      const scopes = yield* Effect.forEach(Array.from({ length: 20 }, (_, i) => i), () => Scope.make())
      const acquired = yield* Effect.forEach(
        scopes,
        (scope, i) => Effect.zipRight(Effect.repeatN(Effect.yieldNow(), i % 3), Scope.extend(sessions.acquire("erin"), scope)),
        { concurrency: "unbounded" }
      )
      expect(new Set(acquired).size).toBe(1)
      expect(counted.subscribes).toBe(1)
      // made: had at once from now on
      const held = sessions.holdNow("erin")
      expect(held).toBe(acquired[0])
      sessions.release(held!)
      yield* Effect.forEach(scopes, (scope) => Scope.close(scope, Exit.void))
      yield* TestClock.adjust("59 seconds")
      expect(yield* sessions.size).toBe(1)
      expect(streams.size).toBe(1)
      yield* TestClock.adjust("2 seconds")
      expect(yield* sessions.size).toBe(0)
      // the stream left the backplane with the session
      expect(streams.size).toBe(0)
    }).pipe(Effect.provide(layer))
  })

  it.scoped("a session whose stream could not subscribe fails every connect waiting on it, and the next connect makes a fresh one", () => {
    const { counted, layer } = failingFirstSubscribe()
    return Effect.gen(function*() {
      const sessions = yield* UserSessions
      // two connections of the user, the second waiting on the session the first is making
      const failures = yield* Effect.forEach([0, 1], () => Effect.flip(sessions.hold("frank")), { concurrency: "unbounded" })
      expect(failures.map((failure) => failure._tag)).toEqual(["SessionUnavailable", "SessionUnavailable"])
      expect(counted.subscribes).toBe(1)
      // nothing of the failed session stays
      expect(yield* sessions.size).toBe(0)
      expect(sessions.holdNow("frank")).toBeUndefined()
      const session = yield* sessions.hold("frank")
      expect(session.userId).toBe("frank")
      expect(counted.subscribes).toBe(2)
      expect(sessions.holdNow("frank")).toBe(session)
      expect(yield* sessions.size).toBe(1)
    }).pipe(Effect.provide(layer))
  })
})
