import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Metric, Option, Schedule, Scope } from "effect"
import { type Backplane, currentLeaseGuard, currentRunEnd, type PendingEvent } from "../../src/store/Backplane.js"
import * as Scripts from "../../src/store/RedisStreamScripts.js"
import * as RedisStreams from "../../src/store/RedisStreams.js"
import { hostPort, type RedisProxy, startRedisProxy } from "../support/RedisProxy.js"
import { history, nodesOn, pending, recorder, scriptRuns } from "../support/RedisStreamNodes.js"
import { redisUrl } from "../support/RedisServer.js"

/**
 * A user's publishes in cluster mode (`RedisStreams`): a run's events go
 * without waiting for each one's seq (`Backplane.publishNoWait`), one batch with
 * Redis at a time, and settle in the order given whatever Redis answers.
 */
describe("RedisStreams: a user's publishes, queued", () => {
  const url = redisUrl()

  /** `publishNoWait`, which the Redis backplane offers. */
  const noWait = (backplane: Backplane["Type"]) => {
    const publishNoWait = backplane.publishNoWait
    if (publishNoWait === undefined) throw new Error("the Redis backplane offers publishNoWait")
    return publishNoWait
  }

  /**
   * Node A, whose Redis is behind a proxy (to slow or cut), its `publishNoWait` (`send`; `sendAlone`: then
   * gives way, so that the event is with Redis, in a batch of its own, before the next is given), and `node`
   * to make more nodes of the same deployment (on Redis itself).
   */
  const nodeBehindProxy = (tuning?: RedisStreams.Tuning) =>
    Effect.gen(function*() {
      const proxy = yield* startRedisProxy(hostPort(url))
      const node = yield* nodesOn(url, history, tuning)
      const a = yield* node(proxy.url)
      const send = noWait(a.backplane)
      const sendAlone = (userId: string, event: PendingEvent) => Effect.zipLeft(send(userId, event), Effect.yieldNow())
      return { proxy, node, a, send, sendAlone }
    })

  /** `effect` waits while Redis's answers are held (`stall`), and completes once they flow. */
  const waitsForRedis = <A>(proxy: RedisProxy, effect: Effect.Effect<A>) =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(effect)
      yield* Effect.sleep("50 millis")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      proxy.flow()
      return yield* Fiber.join(fiber)
    })

  it.scopedLive("events given while Redis answers the one before go together, in one script, in order, one seq each", () =>
    Effect.gen(function*() {
      const { a, node, proxy, send, sendAlone } = yield* nodeBehindProxy()
      const b = yield* node()
      const onB = yield* recorder
      yield* b.backplane.subscribe("u", onB.listener)
      const runs = yield* scriptRuns(url, Scripts.publish, a.prefix)
      // every answer to A late: what A is given meanwhile waits for it
      proxy.delay(60)
      yield* sendAlone("u", pending(1))
      for (let n = 2; n <= 8; n++) yield* send("u", pending(n))
      // a publish waits for its seq, behind the sends before it
      expect(yield* a.backplane.publish("u", pending(9))).toBe(9)
      const got = yield* onB.take(9)
      expect(got.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
      expect(got.map((e) => e.frame)).toEqual(got.map((e) => `{"n":${e.seq},"seq":${e.seq}}`))
      // the first alone; the eight given while it was with Redis in one script (MONITOR's lines come on a
      // socket of their own: given a moment)
      yield* Effect.sleep("100 millis")
      expect(runs.times()).toHaveLength(2)
    }))

  it.scopedLive("an event and a waited-for publish right after it, before the fiber gives way, are one script (a run's last event and its end)", () =>
    Effect.gen(function*() {
      const { a, send } = yield* nodeBehindProxy()
      const runs = yield* scriptRuns(url, Scripts.publish, a.prefix)
      yield* send("u", pending(1))
      expect(yield* a.backplane.publish("u", pending(2))).toBe(2)
      // (MONITOR's lines come on a socket of their own: given a moment)
      yield* Effect.sleep("100 millis")
      expect(runs.times()).toHaveLength(1)
    }))

  it.scopedLive("a connection lost under a publish: it and the events queued behind it go to this node's connections only, in the order given", () =>
    Effect.gen(function*() {
      const { a, proxy, send, sendAlone } = yield* nodeBehindProxy()
      const onA = yield* recorder
      yield* a.backplane.subscribe("u", onA.listener)
      const local = Effect.map(Metric.value(RedisStreams.publishesLocal), (state) => state.count)
      const before = yield* local
      // the first is with Redis, unanswered, when the connection goes; the next two, given after, wait behind
      // it (sent now, they would fail at once, and be delivered before it)
      proxy.stall()
      yield* sendAlone("u", pending(1))
      proxy.block()
      yield* send("u", pending(2))
      yield* send("u", pending(3))
      const got = yield* onA.take(3)
      expect(got.map((e) => e.frame)).toEqual([1, 2, 3].map((n) => `{"n":${n},"seq":${got[n - 1]!.seq}}`))
      expect(got.map((e) => e.seq - got[0]!.seq)).toEqual([0, 1, 2])
      expect((yield* local) - before).toBe(3)
      proxy.unblock()
    }))

  it.scopedLive("past a user's queue bound that user's sends wait for their seq; other users' go on at once; the queued are counted", () =>
    Effect.gen(function*() {
      const { node, proxy, send, sendAlone } = yield* nodeBehindProxy({ ...RedisStreams.defaultTuning, userQueueEvents: 2 })
      const b = yield* node()
      const onB = yield* recorder
      yield* b.backplane.subscribe("u", onB.listener)
      const queued = Effect.map(Metric.value(RedisStreams.publishesQueued), (state) => state.value)
      const before = yield* queued
      proxy.stall()
      // 1 with Redis; 2 and 3 queued behind it; 4 finds two queued: it waits
      yield* sendAlone("u", pending(1))
      yield* send("u", pending(2))
      yield* send("u", pending(3))
      // another user's queue is its own: v's send goes on at once
      yield* send("v", pending(1))
      // what an operator sees meanwhile
      expect((yield* queued) - before).toBe(4)
      yield* waitsForRedis(proxy, send("u", pending(4)))
      expect((yield* onB.take(4)).map((e) => e.frame)).toEqual([1, 2, 3, 4].map((n) => `{"n":${n},"seq":${n}}`))
      // (the send loops count what settled as they go on: given a moment)
      const settled = yield* Effect.repeat(queued, { until: (n) => n === before, schedule: Schedule.spaced("10 millis") }).pipe(
        Effect.timeoutTo({ duration: "2 seconds", onSuccess: (n) => n, onTimeout: () => Number.NaN })
      )
      expect(settled - before).toBe(0)
    }))

  it.scopedLive("a script failing part-way through a batch: each of its events asked again alone, so none is published twice and the rest go", () =>
    Effect.gen(function*() {
      const { a, node, proxy, send, sendAlone } = yield* nodeBehindProxy()
      const b = yield* node()
      const onB = yield* recorder
      yield* b.backplane.subscribe("u", onB.listener)
      // a lease guard whose key holds a hash: the script's GET of it fails (WRONGTYPE) after what it published before
      const notAString = `${a.prefix}not-a-string`
      yield* a.redis.run((client) => client.hset(notAString, "field", "value"))
      proxy.delay(60)
      yield* sendAlone("u", pending(1))
      // 2, 3 and 4 in one script, which publishes 2 and fails at 3
      yield* send("u", pending(2))
      yield* Effect.locally(send("u", pending(3)), currentLeaseGuard, { name: notAString, holder: "a" })
      expect(yield* a.backplane.publish("u", pending(4))).toBe(3)
      // 3, whose script fails (alone too), is none of the stream's; 2 is not published again
      const got = yield* onB.take(3)
      expect(got.map((e) => e.frame)).toEqual([`{"n":1,"seq":1}`, `{"n":2,"seq":2}`, `{"n":4,"seq":3}`])
      expect(yield* a.backplane.publish("u", pending(5))).toBe(4)
      expect((yield* onB.take(1)).map((e) => e.frame)).toEqual([`{"n":5,"seq":4}`])
    }))

  it.scopedLive("past the node's bound every user's sends wait for their seq", () =>
    Effect.gen(function*() {
      const { proxy, send } = yield* nodeBehindProxy({ ...RedisStreams.defaultTuning, nodeQueueChars: 1 })
      proxy.stall()
      yield* send("u", pending(1))
      // another user, nothing of theirs queued: the node holds u's event unanswered
      yield* waitsForRedis(proxy, send("v", pending(1)))
    }))

  it.scopedLive("an event that ends a run waits for its seq, even handed over without waiting", () =>
    Effect.gen(function*() {
      const { proxy, send } = yield* nodeBehindProxy()
      proxy.stall()
      const end = { runId: "r-1", owner: "6e6f6465", withoutEvent: Effect.void }
      yield* waitsForRedis(proxy, Effect.locally(send("u", pending(1)), currentRunEnd, end))
    }))

  it.scopedLive("a batch answered after the command timeout is sent again: each event published once, in order", () =>
    Effect.gen(function*() {
      const { a, node, proxy, send, sendAlone } = yield* nodeBehindProxy()
      const b = yield* node()
      const onB = yield* recorder
      yield* b.backplane.subscribe("u", onB.listener)
      // 1's answer held past the command timeout (300 ms): asked again; 2..5 wait behind it
      proxy.stall()
      yield* sendAlone("u", pending(1))
      for (let n = 2; n <= 5; n++) yield* send("u", pending(n))
      yield* Effect.sleep("400 millis")
      // 1 settles, 2..5 go in one script, whose answer is held past the timeout in turn
      proxy.flow()
      proxy.stall()
      yield* Effect.sleep("400 millis")
      proxy.flow()
      expect(yield* a.backplane.publish("u", pending(6))).toBe(6)
      expect((yield* onB.take(6)).map((e) => e.frame)).toEqual([1, 2, 3, 4, 5, 6].map((n) => `{"n":${n},"seq":${n}}`))
      expect((yield* b.history.read("u", 0)).entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6])
    }))

  it.scopedLive("a stopping node waits at most queuesOnStopMs for its users' queued events", () =>
    Effect.gen(function*() {
      const proxy = yield* startRedisProxy(hostPort(url))
      const node = yield* nodesOn(url, history, { ...RedisStreams.defaultTuning, queuesOnStopMs: 200 })
      // (in a scope of its own, to close it here)
      const scope = yield* Scope.make()
      const send = noWait((yield* Scope.extend(node(proxy.url), scope)).backplane)
      // every answer 250 ms late: 10 batches of 32 of one user's events, one after the other, take 2.5 s
      proxy.delay(250)
      yield* Effect.forEach(Array.from({ length: 320 }, (_, i) => i), (n) => Effect.fork(send("u", pending(n))), { discard: true })
      const closing = Date.now()
      yield* Scope.close(scope, Exit.void)
      expect(Date.now() - closing).toBeLessThan(1500)
    }))
})
