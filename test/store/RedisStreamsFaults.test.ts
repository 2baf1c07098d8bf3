import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Metric, Queue, Schedule } from "effect"
import { currentLeaseGuard, type StreamListener, type StreamPosition } from "../../src/store/Backplane.js"
import * as Redis from "../../src/store/Redis.js"
import * as Scripts from "../../src/store/RedisStreamScripts.js"
import * as RedisStreams from "../../src/store/RedisStreams.js"
import { capturingLogs } from "../support/LogLines.js"
import { hostPort, startRedisProxy } from "../support/RedisProxy.js"
import { history, nodesOn, pending, recorder, scriptRuns } from "../support/RedisStreamNodes.js"
import { redisUrl, startRedisServer } from "../support/RedisServer.js"
import { unreadableCount } from "../support/RedisUnreadable.js"

describe("RedisStreams faults", () => {
  it.scopedLive("a listener whose subscription was lost gets what was published meanwhile from history, in order, then the rest", () =>
    Effect.gen(function*() {
      const server = yield* startRedisServer
      const node = yield* nodesOn(server.url)
      const a = yield* node()
      const b = yield* node()
      const listening = yield* recorder
      yield* b.backplane.subscribe("u", listening.listener)
      const publish = (n: number) => a.backplane.publish("u", pending(n))

      for (let n = 1; n <= 3; n++) yield* publish(n)
      expect((yield* listening.take(3)).map((e) => e.seq)).toEqual([1, 2, 3])
      // every pub/sub connection dropped: B's messages of 4..6 are lost on the wire, not in Redis
      yield* a.redis.run((client) => client.client("KILL", "TYPE", "pubsub"))
      for (let n = 4; n <= 6; n++) yield* publish(n)
      const caughtUp = yield* listening.take(3)
      expect(caughtUp.map((e) => e.seq)).toEqual([4, 5, 6])
      expect(caughtUp.map((e) => e.frame)).toEqual([`{"n":4,"seq":4}`, `{"n":5,"seq":5}`, `{"n":6,"seq":6}`])
      yield* publish(7)
      expect((yield* Queue.take(listening.events)).seq).toBe(7)
      expect(yield* Queue.size(listening.events)).toBe(0)
    }))

  /**
   * A publishes through a proxy that holds back Redis's answers (and A's pub/sub messages) past the command
   * timeout. `restarted`: before that, Redis lost its scripts and every command connection (a restart, as far
   * as the nodes can tell; its data kept), so that a publish by SHA the node sent before loading them again
   * would be answered NOSCRIPT, and that answer held back with the rest.
   */
  const slowPublish = (url: string, restarted: boolean) =>
    Effect.gen(function*() {
      const proxy = yield* startRedisProxy(hostPort(url))
      const node = yield* nodesOn(url)
      const a = yield* node(proxy.url)
      const b = yield* node()
      const onA = yield* recorder
      const onB = yield* recorder
      yield* a.backplane.subscribe("u", onA.listener)
      yield* b.backplane.subscribe("u", onB.listener)
      if (restarted) {
        const reconnects = (yield* a.redis.health).reconnects
        yield* b.redis.run((client) => client.script("FLUSH"))
        // (B's own connection is spared: CLIENT KILL skips its caller)
        yield* b.redis.run((client) => client.client("KILL", "TYPE", "normal"))
        for (let waited = 0; (yield* a.redis.health).reconnects === reconnects && waited < 5_000; waited += 10) {
          yield* Effect.sleep("10 millis")
        }
        expect((yield* a.redis.health).reconnects).toBe(reconnects + 1)
      }
      proxy.stall()
      const publishing = yield* Effect.fork(a.backplane.publish("u", pending(1)))
      // (bounded: if A's publish never reached Redis, say so rather than wait for the test's timeout)
      const onBFirst = yield* onB.take(1).pipe(
        Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error("B never got A's publish: it did not reach Redis") })
      )
      expect(onBFirst.map((e) => e.seq)).toEqual([1])
      // once an attempt after the one that ran is on its way (not after a fixed time, which a busy machine can
      // overrun with every attempt): answered in time, it finds the seq that one got
      const ran = proxy.sent()
      const retried = () => proxy.sent() > ran
      for (let waited = 0; !retried() && waited < 5_000; waited += 5) yield* Effect.sleep("5 millis")
      expect(retried()).toBe(true)
      proxy.flow()
      expect(yield* Fiber.join(publishing)).toBe(1)
      expect(yield* a.backplane.publish("u", pending(2))).toBe(2)
      expect((yield* onA.take(2)).map((e) => e.seq)).toEqual([1, 2])
      expect((yield* onB.take(1)).map((e) => e.seq)).toEqual([2])
      expect((yield* b.history.read("u", 0)).entries.map((e) => e.frame)).toEqual([`{"n":1,"seq":1}`, `{"n":2,"seq":2}`])
      expect(yield* Queue.size(onA.resets)).toBe(0)
      expect(yield* Queue.size(onA.events)).toBe(0)
    })

  it.scopedLive("a slow Redis (a publish not answered in time) is not a lost one: one event, one seq, no local copy, no reset", () =>
    slowPublish(redisUrl(), false))

  it.scopedLive("... nor is a slow Redis just restarted without its scripts: a node loads them first thing on its new connection", () =>
    Effect.flatMap(startRedisServer, (server) => slowPublish(server.url, true)))

  it.scopedLive("publishes Redis does not confirm in time are each counted, said once until one is confirmed again", () =>
    Effect.gen(function*() {
      const proxy = yield* startRedisProxy(hostPort(redisUrl()))
      const node = yield* nodesOn(redisUrl())
      const logsOfA = capturingLogs()
      // (a node logs in the fibers of its layer: its publishes go from a fiber of their own)
      const a = yield* logsOfA.capture(node(proxy.url))
      const publish = (userId: string, n: number) => a.backplane.publish(userId, pending(n))
      // every attempt of both publishes goes unanswered (Redis runs them; A hears nothing back in time)
      const counted = Effect.map(Metric.value(RedisStreams.publishesUnconfirmed), (state) => state.count)
      const takenLocally = Effect.map(Metric.value(RedisStreams.publishesLocal), (state) => state.count)
      const before = yield* counted
      const localBefore = yield* takenLocally
      proxy.stall()
      const unconfirmed = yield* Effect.all([publish("u", 1), publish("v", 1)], { concurrency: 2 })
      expect(unconfirmed).toEqual([0, 0])
      // slow, not away: neither is taken for a lost connection
      expect([(yield* counted) - before, (yield* takenLocally) - localBefore]).toEqual([2, 0])
      proxy.flow()
      expect(yield* publish("u", 2)).toBe(2)
      expect(logsOfA.matching("WARN", "did not confirm a publish")).toHaveLength(1)
      expect(logsOfA.matching("INFO", "confirms publishes again")).toHaveLength(1)
    }))

  it.scopedLive("publishes a full Redis refuses are delivered on the node only, each counted, said once until one is taken again", () =>
    Effect.gen(function*() {
      const server = yield* startRedisServer
      const node = yield* nodesOn(server.url)
      const logsOfA = capturingLogs()
      const a = yield* logsOfA.capture(node())
      const b = yield* node()
      const onA = yield* recorder
      const onB = yield* recorder
      yield* a.backplane.subscribe("u", onA.listener)
      yield* b.backplane.subscribe("u", onB.listener)
      const publish = (n: number) => a.backplane.publish("u", pending(n))
      expect(yield* publish(1)).toBe(1)
      expect((yield* onB.take(1)).map((e) => e.seq)).toEqual([1])
      const counted = Effect.map(Metric.value(RedisStreams.publishesLocal), (state) => state.count)
      const before = yield* counted
      const maxmemory = (bytes: number) => a.redis.run((client) => client.config("SET", "maxmemory", String(bytes)))
      yield* maxmemory(1)
      expect([yield* publish(2), yield* publish(3)]).toEqual([2, 3])
      expect((yield* onA.take(3)).map((e) => e.frame)).toEqual([`{"n":1,"seq":1}`, `{"n":2,"seq":2}`, `{"n":3,"seq":3}`])
      expect((yield* counted) - before).toBe(2)
      expect(logsOfA.matching("WARN", "did not take a publish")).toHaveLength(1)
      // kept nowhere: not in history, not on the other node
      expect((yield* b.history.read("u", 0)).entries.map((e) => e.seq)).toEqual([1])
      expect(yield* Queue.size(onB.events)).toBe(0)
      // what is there is still read: a new listener learns the position
      expect((yield* b.backplane.subscribe("u", (yield* recorder).listener)).latestSeq).toBe(1)
      // nor does A end the epoch while Redis is still full (its restart is refused too): no reset meanwhile
      yield* Effect.sleep("1200 millis")
      expect([yield* Queue.size(onA.resets), yield* Queue.size(onB.resets)]).toEqual([0, 0])
      yield* maxmemory(0)
      // Redis takes writes again: A's listener, which gave its own 2 and 3, ends the epoch by itself (no message
      // comes to start it), the new one carrying what Redis held; every listener resets to after it
      const reset = yield* Queue.take(onA.resets)
      expect(reset.latestSeq).toBe(1)
      expect(yield* Queue.take(onB.resets)).toEqual(reset)
      expect(yield* publish(4)).toBe(2)
      expect(logsOfA.matching("INFO", "takes publishes again")).toHaveLength(1)
      for (const on of [onA, onB]) expect((yield* on.take(1)).map((e) => e.frame)).toEqual([`{"n":4,"seq":2}`])
    }))

  it.scopedLive("a listener that missed more than history holds is reset to where history begins, then goes on", () =>
    Effect.gen(function*() {
      const node = yield* nodesOn(redisUrl(), { minEvents: 3, minAgeMs: 0, maxEvents: 3 })
      const a = yield* node()
      const b = yield* node()
      const listening = yield* recorder
      const position = yield* b.backplane.subscribe("u", listening.listener)
      // ten events B never heard of (appended without a message), then one it hears: a gap history cannot fill
      for (let seq = 1; seq <= 10; seq++) yield* a.history.append("u", { seq, at: 0, frame: `e${seq}` })
      yield* a.backplane.publish("u", pending(11))
      expect(yield* Queue.take(listening.resets)).toEqual({ epoch: position.epoch, latestSeq: 8 })
      expect((yield* listening.take(3)).map((e) => e.seq)).toEqual([9, 10, 11])
    }))

  it.scopedLive("events arriving while a listener catches up are held within bounds; past them they are read from history", () =>
    Effect.gen(function*() {
      const node = yield* nodesOn(redisUrl(), history, { ...RedisStreams.defaultTuning, page: { maxEvents: 2, maxBytes: 1 << 20 }, holdEvents: 2, holdBytes: 1 << 20 })
      const a = yield* node()
      const b = yield* node()
      const listening = yield* recorder
      yield* b.backplane.subscribe("u", listening.listener)
      // a gap starts a catch-up; a burst from two publishers arrives meanwhile
      yield* a.history.append("u", { seq: 1, at: 0, frame: "e1" })
      yield* Effect.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).backplane.publish("u", pending(i))), {
        concurrency: "unbounded"
      })
      const seen = (yield* listening.take(61)).map((e) => e.seq)
      expect(seen).toEqual(Array.from({ length: 61 }, (_, i) => i + 1))
      expect(yield* Queue.size(listening.resets)).toBe(0)
    }))

  it.scopedLive("a node back from an outage restarts the epoch with what Redis held meanwhile: renumbered from 1, at kept, once", () =>
    Effect.gen(function*() {
      // A and C reach Redis through proxies (cut off below), B directly; history holds the last 3 events
      const proxyA = yield* startRedisProxy(hostPort(redisUrl()))
      const proxyC = yield* startRedisProxy(hostPort(redisUrl()))
      const node = yield* nodesOn(redisUrl(), { minEvents: 3, minAgeMs: 0, maxEvents: 3 })
      const a = yield* node(proxyA.url)
      const b = yield* node()
      const c = yield* node(proxyC.url)
      const onA = yield* recorder
      const onB = yield* recorder
      const onC = yield* recorder
      const before = yield* a.backplane.subscribe("u", onA.listener)
      yield* b.backplane.subscribe("u", onB.listener)
      yield* c.backplane.subscribe("u", onC.listener)
      for (let n = 1; n <= 2; n++) yield* b.backplane.publish("u", pending(n))
      expect((yield* onA.take(2)).map((e) => e.seq)).toEqual([1, 2])
      expect((yield* onC.take(2)).map((e) => e.seq)).toEqual([1, 2])
      expect((yield* onB.take(2)).map((e) => e.seq)).toEqual([1, 2])

      // A and C cut off: each gives its own event seq 3, locally; B publishes 3 and 4 (a lost run's end) into Redis
      proxyA.block()
      proxyC.block()
      const away = (redis: typeof a.redis) =>
        Effect.repeat(redis.health, { until: (health) => !health.connected, schedule: Schedule.spaced("20 millis") })
      yield* Effect.all([away(a.redis), away(c.redis)])
      expect(yield* a.backplane.publish("u", pending(30))).toBe(3)
      expect(yield* c.backplane.publish("u", pending(31))).toBe(3)
      expect((yield* onA.take(1)).map((e) => e.frame)).toEqual([`{"n":30,"seq":3}`])
      expect((yield* onC.take(1)).map((e) => e.frame)).toEqual([`{"n":31,"seq":3}`])
      expect(yield* b.backplane.publish("u", pending(3))).toBe(3)
      const lostEnd = { ...pending(4), token: "lost:r1" }
      expect(yield* b.backplane.publish("u", lostEnd)).toBe(4)
      expect((yield* onB.take(2)).map((e) => e.seq)).toEqual([3, 4])

      // both back, one after the other: the first restarts the epoch with what Redis held (the last 3), the
      // second finds it restarted already; every listener resets to after the carried events (its clients resume)
      proxyA.unblock()
      const reset = yield* Queue.take(onA.resets)
      expect(reset.epoch).not.toBe(before.epoch)
      expect(reset.latestSeq).toBe(3)
      expect(yield* Queue.take(onB.resets)).toEqual(reset)
      proxyC.unblock()
      expect(yield* Queue.take(onC.resets)).toEqual(reset)
      expect(yield* b.history.read("u", 0)).toEqual({
        entries: [
          { seq: 1, at: 2, frame: `{"n":2,"seq":1}` },
          { seq: 2, at: 3, frame: `{"n":3,"seq":2}` },
          { seq: 3, at: 4, frame: `{"n":4,"seq":3}` }
        ],
        oldestSeq: 1,
        latestSeq: 3
      })

      // the lost end's publish made again finds its new seq (still one end); the next event follows the
      // carried ones everywhere, with no other reset
      expect(yield* b.backplane.publish("u", lostEnd)).toBe(3)
      expect(yield* c.backplane.publish("u", pending(5))).toBe(4)
      for (const on of [onA, onB, onC]) expect((yield* on.take(1)).map((e) => e.frame)).toEqual([`{"n":5,"seq":4}`])
      expect((yield* a.history.read("u", 0)).entries.map((e) => e.seq)).toEqual([2, 3, 4])
      for (const on of [onA, onB, onC]) expect(yield* Queue.size(on.resets)).toBe(0)
    }))

  // A holds 6 young events (within maxEvents); it gave one event locally while cut off, so its epoch restarts
  const restartCarrying = (minEvents: number) =>
    Effect.gen(function*() {
      const proxyA = yield* startRedisProxy(hostPort(redisUrl()))
      const node = yield* nodesOn(redisUrl(), { minEvents, minAgeMs: 60_000, maxEvents: 1000 })
      const a = yield* node(proxyA.url)
      const b = yield* node()
      const onA = yield* recorder
      const before = yield* a.backplane.subscribe("u", onA.listener)
      const now = Date.now()
      const event = (n: number) => ({ head: `{"n":${n},"seq":`, tail: "}", at: now + n })
      for (let n = 1; n <= 6; n++) yield* b.backplane.publish("u", event(n))
      expect((yield* onA.take(6)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6])
      expect((yield* b.history.read("u", 0)).entries).toHaveLength(6)
      proxyA.block()
      yield* Effect.repeat(a.redis.health, { until: (health) => !health.connected, schedule: Schedule.spaced("20 millis") })
      expect(yield* a.backplane.publish("u", event(60))).toBe(7)
      proxyA.unblock()
      const reset = yield* Queue.take(onA.resets)
      expect(reset.epoch).not.toBe(before.epoch)
      // the carried events hold their running totals anew (the bounds cut by them: RedisStreamScripts' `cut`)
      const key = `${b.prefix}st:{${Redis.keyPart("u")}}`
      const raw = yield* b.redis.run((client) => client.xrange(`${key}:x`, "-", "+"))
      const totals = raw.map(([, fields]) => Number(fields[5]))
      let sum = 0
      expect(totals).toEqual(raw.map(([, fields]) => (sum += Buffer.byteLength(fields[1]!))))
      expect(Number(yield* b.redis.run((client) => client.hget(`${key}:m`, "total")))).toBe(sum)
      return { reset, history: yield* b.history.read("u", 0), now }
    })

  it.scopedLive("a restart carries the newest HISTORY_MIN_EVENTS of what Redis held, not all of it (its script stalls Redis)", () =>
    Effect.gen(function*() {
      const { history, now, reset } = yield* restartCarrying(2)
      expect(reset.latestSeq).toBe(2)
      expect(history).toEqual({
        entries: [
          { seq: 1, at: now + 5, frame: `{"n":5,"seq":1}` },
          { seq: 2, at: now + 6, frame: `{"n":6,"seq":2}` }
        ],
        oldestSeq: 1,
        latestSeq: 2
      })
    }))

  it.scopedLive("a restart with HISTORY_MIN_EVENTS=0 carries nothing, and still ends the epoch", () =>
    Effect.gen(function*() {
      const { history, reset } = yield* restartCarrying(0)
      expect(reset.latestSeq).toBe(0)
      expect(history.entries).toEqual([])
      expect(history.latestSeq).toBe(0)
    }))

  it.scopedLive("a node back from an outage while others publish drops what it held of the old epoch: no busy loop, no old frame given as new", () =>
    Effect.gen(function*() {
      const proxyA = yield* startRedisProxy(hostPort(redisUrl()))
      const node = yield* nodesOn(redisUrl(), { minEvents: 3, minAgeMs: 0, maxEvents: 3 })
      const a = yield* node(proxyA.url)
      const b = yield* node()
      // what each node's listener is given, by the epoch it was in then
      const given = (start: StreamPosition) => {
        let epoch = start.epoch
        const frames = new Map<string, string>()
        const listener: StreamListener = {
          event: (entry) => void frames.set(`${epoch}/${entry.seq}`, entry.frame),
          signal: () => {},
          reset: (to) => void (epoch = to.epoch)
        }
        return { listener, frames, epoch: () => epoch }
      }
      const start = yield* b.backplane.subscribe("probe", (yield* recorder).listener)
      const onA = given(start)
      const onB = given(start)
      yield* a.backplane.subscribe("u", onA.listener)
      yield* b.backplane.subscribe("u", onB.listener)
      for (let n = 1; n <= 50; n++) yield* b.backplane.publish("u", pending(n))
      const before = onA.epoch()

      // A cut off delivers one event locally (its epoch must end); B goes on publishing into the old epoch,
      // also while A comes back, so A holds old-epoch events from before the restart's `r` message
      proxyA.block()
      yield* Effect.repeat(a.redis.health, { until: (health) => !health.connected, schedule: Schedule.spaced("20 millis") })
      yield* a.backplane.publish("u", pending(999))
      let n = 1000
      const publishing = yield* Effect.fork(Effect.forever(Effect.suspend(() => b.backplane.publish("u", pending(n++)))))
      yield* Effect.sleep("50 millis")
      proxyA.unblock()
      yield* Effect.repeat(Effect.sync(onA.epoch), { until: (epoch) => epoch !== before, schedule: Schedule.spaced("10 millis") })
      yield* Effect.sleep("100 millis")
      yield* Fiber.interrupt(publishing)

      // settled, A asks Redis (nearly) nothing: a catch-up looping on a hole it cannot fill sends
      // thousands of scripts a second
      yield* Effect.sleep("500 millis")
      const sentBefore = proxyA.sent()
      yield* Effect.sleep("1 second")
      expect(proxyA.sent() - sentBefore).toBeLessThan(5_000)

      // one seq order: what A was given in the new epoch is what B was given for the same seqs, up to the next event
      const last = yield* b.backplane.publish("u", pending(5_000))
      const key = `${onB.epoch()}/${last}`
      yield* Effect.repeat(Effect.sync(() => onA.frames.has(key) && onB.frames.has(key)), {
        until: (both) => both,
        schedule: Schedule.spaced("10 millis")
      })
      expect(onA.epoch()).toBe(onB.epoch())
      const shared = [...onA.frames.keys()].filter((seq) => seq.startsWith(`${onA.epoch()}/`) && onB.frames.has(seq))
      expect(shared).toContain(key)
      for (const seq of shared) expect([seq, onA.frames.get(seq)]).toEqual([seq, onB.frames.get(seq)])
    }))

  /**
   * A node on a private Redis with a listener of "u" given events 1 and 2,
   * whose every catch-up then fails: the stream's events key is made a string
   * (WRONGTYPE), as a bug would; `mend` makes it a stream again. `lose` drops
   * the node's pub/sub connection, so that the listener catches up once it is
   * restored. `attempts` has the catch-up scripts Redis ran from then on.
   */
  const failingCatchUps = (retryMs: number, retryMaxMs: number) =>
    Effect.gen(function*() {
      const server = yield* startRedisServer
      const node = yield* nodesOn(server.url, history, { ...RedisStreams.defaultTuning, retryMs, retryMaxMs })
      const a = yield* node()
      const listening = yield* recorder
      yield* a.backplane.subscribe("u", listening.listener)
      for (let n = 1; n <= 2; n++) yield* a.backplane.publish("u", pending(n))
      expect((yield* listening.take(2)).map((e) => e.seq)).toEqual([1, 2])
      const events = `${a.prefix}st:{${Redis.keyPart("u")}}:x`
      yield* a.redis.run((client) => client.multi().del(events).set(events, "junk").exec())
      return {
        a,
        listening,
        attempts: yield* scriptRuns(server.url, Scripts.catchUp),
        lose: a.redis.run((client) => client.client("KILL", "TYPE", "pubsub")),
        mend: a.redis.run((client) => client.del(events))
      }
    })

  it.scopedLive("a catch-up Redis keeps failing is asked again less and less often, never more than retryMaxMs apart, and goes on once it can", () =>
    Effect.gen(function*() {
      const { a, attempts, listening, lose, mend } = yield* failingCatchUps(40, 600)
      yield* lose
      yield* Effect.sleep("3 seconds")
      const times = attempts.times()
      expect(times.length).toBeGreaterThanOrEqual(5)
      const gaps = times.slice(1).map((time, i) => time - times[i]!)
      // 40 ms doubled per failure (each pause half to all of it): the fourth pause is 160-320, the first 20-40
      expect(gaps[3]!).toBeGreaterThan(2 * gaps[0]!)
      for (const gap of gaps) expect(gap).toBeLessThan(600 + 150)

      // Redis can again: the next attempt catches up, and events flow as before
      yield* mend
      yield* Effect.sleep("800 millis")
      yield* a.backplane.publish("u", pending(3))
      expect((yield* listening.take(1)).map((e) => e.frame)).toEqual([`{"n":3,"seq":3}`])
      expect(yield* Queue.size(listening.resets)).toBe(0)
    }))

  it.scopedLive("a catch-up waiting long after failures goes at once when its subscription is restored (Redis back)", () =>
    Effect.gen(function*() {
      const { a, attempts, listening, lose, mend } = yield* failingCatchUps(1_000, 10_000)
      yield* lose
      // three failed attempts: the pause after the third is 2-4 s
      while (attempts.times().length < 3) yield* Effect.sleep("10 millis")
      yield* mend
      const [seconds, micros] = yield* a.redis.run((client) => client.time())
      const restoredAt = Number(seconds) * 1000 + Number(micros) / 1000
      yield* lose
      yield* a.backplane.publish("u", pending(3))
      expect((yield* listening.take(1)).map((e) => e.frame)).toEqual([`{"n":3,"seq":3}`])
      // (MONITOR's lines come on a socket of their own: a moment after the scripts' answers)
      yield* Effect.sleep("200 millis")
      const after = attempts.times().filter((time) => time > restoredAt)
      expect(after.length).toBeGreaterThan(0)
      expect(after[0]! - restoredAt).toBeLessThan(1_000)
    }))

  it.scopedLive("after a reconnection the users' catch-ups go to Redis recoveryPasses at a time, not all at once", () =>
    Effect.gen(function*() {
      const server = yield* startRedisServer
      const proxy = yield* startRedisProxy(hostPort(server.url))
      const node = yield* nodesOn(server.url)
      const slots = 2
      const a = yield* node(proxy.url, { ...RedisStreams.defaultTuning, recoveryPasses: slots })
      const b = yield* node()
      const users = Array.from({ length: 8 }, (_, i) => `u${i}`)
      const listening = yield* Effect.forEach(users, (user) =>
        Effect.tap(recorder, (r) => a.backplane.subscribe(user, r.listener)))
      yield* Effect.forEach(users, (user) => b.backplane.publish(user, pending(1)))
      for (const r of listening) expect((yield* r.take(1)).map((e) => e.seq)).toEqual([1])

      const attempts = yield* scriptRuns(server.url, Scripts.catchUp)
      // every answer to A comes 200 ms late (within the nodes' 300 ms command timeout: no retries): a pass's
      // slot is back 200 ms after Redis ran its script at the soonest
      proxy.delay(200)
      // A's pub/sub connection lost and restored: each of its 8 users catches up once
      yield* b.redis.run((client) => client.client("KILL", "TYPE", "pubsub"))
      while (attempts.times().length < users.length) yield* Effect.sleep("20 millis")
      const times = attempts.times()
      // all at once, the 8 would run within a few ms of each other
      for (let k = slots; k < times.length; k++) expect(times[k]! - times[k - slots]!).toBeGreaterThanOrEqual(180)

      proxy.delay(0)
      yield* Effect.forEach(users, (user) => b.backplane.publish(user, pending(2)))
      for (const r of listening) {
        expect((yield* r.take(1)).map((e) => e.frame)).toEqual([`{"n":2,"seq":2}`])
        expect(yield* Queue.size(r.resets)).toBe(0)
      }
    }))

  // A failover to a replica that had not received the last two of three events leaves seq 1, event 1; B's next
  // two events get seqs 2 and 3 again, which A gave already (to other events). `survives`: A's pub/sub connection
  // is kept (else it is lost and restored, as when the old primary went away)
  const lostWrites = (survives: boolean) =>
    Effect.gen(function*() {
      const server = yield* startRedisServer
      const node = yield* nodesOn(server.url)
      const a = yield* node()
      const b = yield* node()
      const onA = yield* recorder
      const before = yield* a.backplane.subscribe("u", onA.listener)
      for (let n = 1; n <= 3; n++) yield* b.backplane.publish("u", pending(n))
      expect((yield* onA.take(3)).map((e) => e.seq)).toEqual([1, 2, 3])
      const key = `${b.prefix}st:{${Redis.keyPart("u")}}`
      const [[, fields]] = yield* b.redis.run((client) => client.xrange(`${key}:x`, "-", "+", "COUNT", 1))
      const total = fields[fields.indexOf("c") + 1]!
      yield* b.redis.run((client) =>
        client.multi().del(`${key}:x`).xadd(`${key}:x`, "1-0", ...fields).hset(`${key}:m`, "seq", 1, "bytes", total, "total", total).exec()
      )
      expect([yield* b.backplane.publish("u", pending(4)), yield* b.backplane.publish("u", pending(5))]).toEqual([2, 3])
      if (!survives) yield* a.redis.run((client) => client.client("KILL", "TYPE", "pubsub"))
      const reset = yield* Queue.take(onA.resets)
      expect(reset.epoch).not.toBe(before.epoch)
      expect(reset.latestSeq).toBe(3)
      expect((yield* a.history.read("u", 0)).entries.map((e) => e.frame)).toEqual([
        `{"n":1,"seq":1}`,
        `{"n":4,"seq":2}`,
        `{"n":5,"seq":3}`
      ])
      expect(yield* Queue.size(onA.events)).toBe(0)
      yield* b.backplane.publish("u", pending(6))
      expect((yield* onA.take(1)).map((e) => e.frame)).toEqual([`{"n":6,"seq":4}`])
    })

  it.scopedLive("a failover lost events a listener gave, their seqs given to new events: restored, its catch-up finds another frame at its last seq and ends the epoch", () =>
    lostWrites(false))

  it.scopedLive("... and with its subscription kept: the message of another event at the seq it gave last ends the epoch", () =>
    lostWrites(true))

  it.scopedLive("an event whose lease guard no longer holds is refused: no seq, no history, no delivery", () =>
    Effect.gen(function*() {
      const node = yield* nodesOn(redisUrl())
      const a = yield* node()
      const listening = yield* recorder
      yield* a.backplane.subscribe("u", listening.listener)
      const lease = `${a.prefix}lease`
      yield* a.redis.run((client) => client.set(lease, "g1"))
      const guarded = (n: number) => Effect.locally(a.backplane.publish("u", pending(n)), currentLeaseGuard, { name: lease, holder: "g1" })
      expect(yield* guarded(1)).toBe(1)
      // the lease moved on (another generation holds it): the old holder's events are refused
      yield* a.redis.run((client) => client.set(lease, "g2"))
      expect(yield* guarded(2)).toBe(0)
      expect(yield* a.backplane.publish("u", pending(3))).toBe(2)
      expect((yield* listening.take(2)).map((e) => e.frame)).toEqual([`{"n":1,"seq":1}`, `{"n":3,"seq":2}`])
      expect((yield* a.history.read("u", 0)).entries.map((e) => e.seq)).toEqual([1, 2])
    }))

  it.scopedLive("a channel message of a kind this version does not know (a newer node's), or one it cannot read, is ignored: no event, no reset, no signal, no catch-up; the latter counted", () =>
    Effect.gen(function*() {
      const server = yield* startRedisServer
      const node = yield* nodesOn(server.url)
      const a = yield* node()
      const listening = yield* recorder
      const { epoch } = yield* a.backplane.subscribe("u", listening.listener)
      yield* a.backplane.publish("u", pending(1))
      expect((yield* listening.take(1)).map((e) => e.seq)).toEqual([1])
      const attempts = yield* scriptRuns(server.url, Scripts.catchUp)
      // shaped like an event of the epoch far ahead of the listener: taken for one, it is a hole no catch-up fills
      const channel = `${a.prefix}st:{${Redis.keyPart("u")}}`
      yield* a.redis.run((client) => client.publish(channel, `x9:0:${epoch}:{}`))
      // of known kinds, but not readable: events of the epoch with no seq, positions with none or no epoch,
      // signals whose sender overruns them (taken, the listener's own count, or its epoch, would be lost)
      const unreadable = [
        ...["", "two", "0", "-1", "1.5"].map((seq) => `e${seq}:0:${epoch}:{}`),
        `e3`,
        `e3:0:`,
        `e3:${epoch}`,
        `e3:x:${epoch}:{}`,
        "rBOGUS:x",
        "r",
        "r:5",
        `r${epoch}:-1`,
        "sabc",
        "s99:x{}"
      ]
      const before = yield* unreadableCount("streams")
      for (const message of unreadable) yield* a.redis.run((client) => client.publish(channel, message))
      yield* a.backplane.publish("u", pending(2))
      expect((yield* listening.take(1)).map((e) => e.frame)).toEqual([`{"n":2,"seq":2}`])
      yield* Effect.sleep("600 millis")
      expect(attempts.times()).toEqual([])
      expect(yield* Queue.size(listening.events)).toBe(0)
      expect(yield* Queue.size(listening.resets)).toBe(0)
      expect(yield* Queue.size(listening.signals)).toBe(0)
      expect((yield* unreadableCount("streams")) - before).toBe(unreadable.length)
      // the listener goes on from its count
      yield* a.backplane.publish("u", pending(3))
      expect((yield* listening.take(1)).map((e) => e.seq)).toEqual([3])
    }))

  it.scopedLive("no user id reaches a key or channel name raw", () =>
    Effect.gen(function*() {
      const node = yield* nodesOn(redisUrl())
      const a = yield* node()
      const user = "al}ce:{st}"
      yield* a.backplane.subscribe(user, (yield* recorder).listener)
      yield* a.backplane.publish(user, pending(1))
      const keys = yield* a.redis.run((client) => client.keys(`${a.prefix}*`))
      const channels = yield* a.redis.run((client) => client.pubsub("CHANNELS", `${a.prefix}*`)) as Effect.Effect<Array<string>>
      expect(keys.length).toBeGreaterThan(0)
      for (const name of [...keys, ...channels]) {
        expect(name.slice(a.prefix.length)).toMatch(/^[a-z]+:\{[0-9a-f]+\}(:[a-z])?$/)
      }
      expect(keys.some((key) => key.includes(Redis.keyPart(user)))).toBe(true)
    }))
})
