import { afterAll, describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Option, Queue, Redacted, Scope, Exit } from "effect"
import * as Redis from "../../src/store/Redis.js"
import * as RedisUserConnections from "../../src/store/RedisUserConnections.js"
import { UserConnections } from "../../src/store/UserConnections.js"
import { hostPort, startRedisProxy } from "../support/RedisProxy.js"
import { deletePrefix, redisUrl, testSettings } from "../support/RedisServer.js"
import { capturingLogs } from "../support/LogLines.js"
import { unreadableCount } from "../support/RedisUnreadable.js"
import { RedisSettings } from "../../src/store/RedisSettings.js"

// nodes of one cluster under one prefix on the shared Redis; a node may reach it through a proxy the test cuts
const prefixes: Array<string> = []

const cluster = (presenceMs = 10_000) => {
  const settings = testSettings({ commandTimeoutMs: 300, reconnectMaxDelayMs: 100 })
  prefixes.push(settings.prefix)
  let nodes = 0
  return (url = redisUrl(), scope?: Scope.Scope, capture = <A, E, R>(effect: Effect.Effect<A, E, R>) => effect) => {
    const node = RedisUserConnections.layerWith(`node-${++nodes}`, presenceMs).pipe(
      Layer.provideMerge(Redis.layerWith({ ...settings, url: Option.some(Redacted.make(url)) })),
      Layer.orDie
    )
    const built = capture(scope === undefined ? Layer.build(node) : Layer.buildWithScope(node, scope))
    return Effect.map(built, (context) => ({
      connections: Context.get(context, UserConnections),
      redis: Context.get(context, Redis.Redis)
    }))
  }
}

// the node counts each node was told of a user, as they come
const listen = (connections: UserConnections["Type"]) =>
  Effect.gen(function*() {
    const told = yield* Queue.unbounded<string>()
    yield* connections.shares((userId, nodes) => Queue.unsafeOffer(told, `${userId}:${nodes}`))
    return told
  })

describe("RedisUserConnections", () => {
  afterAll(() => Promise.all(prefixes.map((prefix) => deletePrefix(redisUrl(), prefix))))

  it.scopedLive("counts a user's connections on every node against one limit, and tells each node the user's node count", () =>
    Effect.gen(function*() {
      const node = cluster()
      const a = yield* node()
      const b = yield* node()
      const toldA = yield* listen(a.connections)
      const toldB = yield* listen(b.connections)
      expect(yield* a.connections.reserve("u}", 1, 2)).toEqual({ _tag: "Admitted", nodes: 1 })
      expect(yield* Queue.take(toldA)).toBe("u}:1")
      expect(yield* b.connections.reserve("u}", 1, 2)).toEqual({ _tag: "Admitted", nodes: 2 })
      expect(yield* Queue.take(toldB)).toBe("u}:2")
      // A learns that B serves the user too: its share of the user's rate halves
      expect(yield* Queue.take(toldA)).toBe("u}:2")
      // the limit is the user's over both nodes; another user has their own
      expect(yield* b.connections.reserve("u}", 2, 2)).toEqual({ _tag: "Full" })
      expect((yield* a.connections.reserve("v", 1, 2))._tag).toBe("Admitted")
      // A's connection closes: B may have a second, and is told it serves the user alone
      yield* a.connections.release("u}", 0)
      expect(yield* Queue.take(toldB)).toBe("u}:1")
      expect(yield* b.connections.reserve("u}", 2, 2)).toEqual({ _tag: "Admitted", nodes: 1 })
    }))

  it.scopedLive("a node count message it cannot read (another version's, a hand's) is no count: the user's share stays", () =>
    Effect.gen(function*() {
      const a = yield* cluster()()
      const toldA = yield* listen(a.connections)
      expect((yield* a.connections.reserve("u", 1, 2))._tag).toBe("Admitted")
      expect(yield* Queue.take(toldA)).toBe("u:1")
      // (the node's channel is named by its id and a random tag)
      const [channel] = yield* Effect.map(a.redis.run((client) => client.pubsub("CHANNELS", a.redis.key("cn:n:*"))), (names) => names as Array<string>)
      const user = Redis.keyPart("u")
      const unreadable = ["garbage", "12", `abc:${user}`, `0:${user}`, `-2:${user}`, `1.5:${user}`, `:${user}`, `9007199254740991:${user}`]
      const before = yield* unreadableCount("connections")
      for (const message of unreadable) yield* a.redis.run((client) => client.publish(channel!, message))
      yield* a.redis.run((client) => client.publish(channel!, `3:${user}`))
      expect(yield* Queue.take(toldA)).toBe("u:3")
      expect(yield* Queue.size(toldA)).toBe(0)
      expect((yield* unreadableCount("connections")) - before).toBe(unreadable.length)
    }))

  it.scopedLive("a node that goes away takes its count with it", () =>
    Effect.gen(function*() {
      const node = cluster()
      const scopeA = yield* Scope.make()
      const a = yield* node(redisUrl(), scopeA)
      const b = yield* node()
      yield* a.connections.reserve("u", 2, 2)
      expect(yield* b.connections.reserve("u", 1, 2)).toEqual({ _tag: "Full" })
      yield* Scope.close(scopeA, Exit.void)
      expect((yield* b.connections.reserve("u", 1, 2))._tag).toBe("Admitted")
    }))

  it.scopedLive("a node cut off stops counting once its presence expired; back, its counts are written again", () =>
    Effect.gen(function*() {
      const proxy = yield* startRedisProxy(hostPort(redisUrl()))
      const node = cluster(600)
      const logsOfA = capturingLogs()
      const a = yield* node(proxy.url, undefined, logsOfA.capture)
      const b = yield* node()
      yield* a.connections.reserve("u", 2, 2)
      expect(yield* b.connections.reserve("u", 1, 2)).toEqual({ _tag: "Full" })
      proxy.block()
      // A's presence expires (it cannot renew it): its connections no longer count
      while ((yield* b.connections.reserve("u", 1, 2))._tag === "Full") yield* Effect.sleep("100 millis")
      yield* b.connections.release("u", 0)
      // Redis away for A: it decides alone, and says so
      expect((yield* a.connections.reserve("u", 3, 2))._tag).toBe("Unknown")
      proxy.unblock()
      yield* a.redis.whenConnected
      // A's renewal finds its presence gone and writes all its counts again
      while ((yield* b.connections.reserve("u", 1, 3))._tag !== "Full") {
        yield* b.connections.release("u", 0)
        yield* Effect.sleep("100 millis")
      }
      // A tried to renew every 150 ms while cut off: the outage was said once, and its end once
      expect(logsOfA.matching("WARN", "presence not renewed")).toHaveLength(1)
      while (logsOfA.matching("INFO", "presence renewed again").length === 0) yield* Effect.sleep("50 millis")
      expect(logsOfA.matching("INFO", "presence renewed again")).toHaveLength(1)
    }))

  const presenceTtl = (settings: ReturnType<typeof testSettings>) =>
    Effect.gen(function*() {
      prefixes.push(settings.prefix)
      const context = yield* Layer.build(RedisUserConnections.layer("node-1").pipe(
        Layer.provideMerge(Redis.layerWith(settings)),
        Layer.provide(Layer.succeed(RedisSettings, settings)),
        Layer.orDie
      ))
      const redis = Context.get(context, Redis.Redis)
      const ttls = yield* redis.run(async (client) => {
        const keys = await client.keys(`${settings.prefix}cn:alive:*`)
        return Promise.all(keys.map((key) => client.pttl(key)))
      })
      expect(ttls).toHaveLength(1)
      return ttls[0]!
    })

  it.scopedLive("a node's presence lasts REDIS_RUN_LEASE_MS (how long a silent node is taken for alive)", () =>
    Effect.gen(function*() {
      const ttl = yield* presenceTtl(testSettings({ runLeaseMs: 3_000, commandTimeoutMs: 500 }))
      expect(ttl).toBeGreaterThan(2_000)
      expect(ttl).toBeLessThanOrEqual(3_000)
    }))

  it.scopedLive("a lease shorter than three command timeouts does not shorten presence: a slow Redis must not expire a live node", () =>
    Effect.gen(function*() {
      const ttl = yield* presenceTtl(testSettings({ runLeaseMs: 3_000, commandTimeoutMs: 2_000 }))
      expect(ttl).toBeGreaterThan(5_000)
      expect(ttl).toBeLessThanOrEqual(6_000)
    }))
})
