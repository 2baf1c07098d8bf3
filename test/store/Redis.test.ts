import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Logger, Queue, Schedule } from "effect"
import { Redis as IORedis } from "ioredis"
import * as JsonLogger from "../../src/observability/JsonLogger.js"
import * as Redis from "../../src/store/Redis.js"
import { RedisSettings } from "../../src/store/RedisSettings.js"
import { freePort } from "../support/ServiceProcess.js"
import { redisUrl, startRedisServer, uniquePrefix } from "../support/RedisServer.js"
import { unreadableCount } from "../support/RedisUnreadable.js"

// fast reconnection, so a restart is survived within the test's patience
const settingsFor = (url: string, required = true) =>
  RedisSettings.make({ url, prefix: uniquePrefix(), required, connectTimeoutMs: 500, commandTimeoutMs: 500, reconnectMaxDelayMs: 100 })

// until `check` holds (real time: the connection's own timers reconnect it)
const eventually = <A>(effect: Effect.Effect<A>, check: (a: A) => boolean) =>
  Effect.retry(
    Effect.filterOrFail(effect, check),
    Schedule.spaced("50 millis").pipe(Schedule.upTo("10 seconds"))
  ).pipe(Effect.orDie)

// a command on a connection of its own (what an operator or a failover does to the server)
const adminOf = <A>(url: string, command: (admin: IORedis) => Promise<A>) =>
  Effect.promise(async () => {
    const admin = new IORedis(url, { maxRetriesPerRequest: 1 })
    try {
      return await command(admin)
    } finally {
      admin.disconnect()
    }
  })

// a channel of the connection's, subscribed: what it receives, and each restore of the subscription
const listening = (redis: Redis.Redis["Type"]) =>
  Effect.gen(function*() {
    const received = yield* Queue.unbounded<string>()
    const restored = yield* Queue.unbounded<void>()
    const channel = redis.key("chan")
    yield* redis.subscribe(channel, {
      onMessage: (message) => Queue.unsafeOffer(received, message),
      onRestored: () => Queue.unsafeOffer(restored, undefined)
    })
    return { channel, received, restored }
  })

describe("Redis connection", () => {
  it.scopedLive("Redis unreachable at start: a clear typed error (REDIS_REQUIRED, the default)", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(freePort)
      const exit = yield* Effect.exit(Redis.make(settingsFor(`redis://127.0.0.1:${port}`)))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        expect(error).toBeInstanceOf(Redis.RedisError)
        expect(error?.reason).toBe("Unreachable")
        expect(error?.message).toContain(`127.0.0.1:${port}`)
        expect(error?.message).toContain("REDIS_REQUIRED=false")
      }
    }))

  it.scopedLive("REDIS_REQUIRED=false starts degraded, fails commands at once, and connects when Redis comes", () =>
    Effect.gen(function*() {
      const server = yield* startRedisServer
      yield* Effect.promise(server.kill)
      const redis = yield* Redis.make(settingsFor(server.url, false))
      expect((yield* redis.health).connected).toBe(false)
      // nothing is queued while Redis is away: the command fails instead
      const down = yield* Effect.flip(redis.run((client) => client.ping()))
      expect(down.reason).toBe("Unavailable")
      yield* Effect.promise(server.restart)
      yield* eventually(redis.health, (health) => health.connected)
      expect(yield* redis.run((client) => client.ping())).toBe("PONG")
    }))

  it.scopedLive("a Redis restart: health says reconnecting, then connected; subscriptions come back", () =>
    Effect.gen(function*() {
      const server = yield* startRedisServer
      const redis = yield* Redis.make(settingsFor(server.url))
      const { channel, received, restored } = yield* listening(redis)
      yield* redis.run((client) => client.publish(channel, "before"))
      expect(yield* Queue.take(received)).toBe("before")

      yield* Effect.promise(server.kill)
      yield* eventually(redis.health, (health) => !health.connected)
      expect((yield* redis.health).status).toBe("reconnecting")
      expect((yield* Effect.flip(redis.run((client) => client.ping()))).reason).toBe("Unavailable")

      yield* Effect.promise(server.restart)
      yield* eventually(redis.health, (health) => health.connected)
      yield* Queue.take(restored)
      expect((yield* redis.health).reconnects).toBe(1)
      yield* redis.run((client) => client.publish(channel, "after"))
      expect(yield* Queue.take(received)).toBe("after")
    }))

  it.scopedLive("a Redis full at maxmemory is not serving writes (Unavailable, the command did not run), and serves them once it has room", () =>
    Effect.gen(function*() {
      const server = yield* startRedisServer
      const redis = yield* Redis.make(settingsFor(server.url))
      const write = redis.eval(new Redis.RedisScript("write", "return redis.call('SET', KEYS[1], ARGV[1])"), [redis.key("k")], ["v"])
      yield* adminOf(server.url, (admin) => admin.config("SET", "maxmemory", "1"))
      const full = yield* Effect.flip(write)
      expect(full.reason).toBe("Unavailable")
      expect(full.detail).toContain("OOM")
      yield* adminOf(server.url, (admin) => admin.config("SET", "maxmemory", "0"))
      expect(yield* write).toBe("OK")
    }))

  it.scopedLive("a failover (the primary the node writes to became a replica): Unavailable, the connection is made again, and writes go on once it is a primary", () =>
    Effect.gen(function*() {
      const server = yield* startRedisServer
      const other = yield* startRedisServer
      const redis = yield* Redis.make(settingsFor(server.url))
      const { channel, received, restored } = yield* listening(redis)
      yield* adminOf(server.url, (admin) => admin.replicaof("127.0.0.1", other.port))
      const refused = yield* Effect.flip(redis.run((client) => client.set(redis.key("k"), "v")))
      expect(refused.reason).toBe("Unavailable")
      expect(refused.detail).toContain("READONLY")
      // ioredis keeps a connection to a replica for ever unless told: a managed Redis's name moves to the new
      // primary at a failover, and only a new connection finds it; the pub/sub connection is made again too, and
      // its listeners hear they were restored (they catch up on what the failover changed)
      yield* eventually(redis.health, (health) => health.reconnects >= 1 && health.connected)
      yield* Queue.take(restored)
      // a server that stays a replica: writes every 20 ms for 2.5 s make the connection again twice more at most
      // (1 s, then 2 s after), and reads a replica answers mostly succeed meanwhile
      const before = (yield* redis.health).reconnects
      let reads = 0
      let readsFailed = 0
      for (let i = 0; i < 125; i++) {
        yield* Effect.either(redis.run((client) => client.set(redis.key("k"), "v")))
        reads++
        if ((yield* Effect.either(redis.run((client) => client.get(redis.key("k")))))._tag === "Left") readsFailed++
        yield* Effect.sleep("20 millis")
      }
      expect((yield* redis.health).reconnects - before).toBeLessThanOrEqual(2)
      expect(readsFailed / reads).toBeLessThan(0.2)
      yield* adminOf(server.url, (admin) => admin.replicaof("NO", "ONE"))
      yield* eventually(Effect.either(redis.run((client) => client.set(redis.key("k"), "v"))), (result) => result._tag === "Right")
      yield* redis.run((client) => client.publish(channel, "after"))
      expect(yield* Queue.take(received)).toBe("after")
    }))

  it("after a READONLY the connection is made again at once (the failover told), then no sooner than 1 s, 2 s, 4 s ... after the last, up to 10 s; a minute past it with none, from 1 s again", () => {
    let now = 0
    let failovers = 0
    const reconnect = Redis.reconnectOnReadonly(() => void failovers++, () => now)
    const replica = new Error("READONLY You can't write against a read only replica.")
    const at = (ms: number, error = replica) => {
      now = ms
      return reconnect(error)
    }
    expect(at(0, new Error("ERR something else"))).toBe(false)
    expect([at(0), at(10), at(999), at(1_000), at(2_999), at(3_000), at(6_999), at(7_000)]).toEqual([1, false, false, 1, false, 1, false, 1])
    expect(failovers).toBe(4)
    // Redis 6 wraps a script's READONLY in its own error
    expect(at(15_000, new Error("ERR Error running script (call to f_1): @user_script:1: -READONLY You can't write"))).toBe(1)
    // the pause stops growing at 10 s
    expect([at(24_999), at(25_000), at(34_999), at(35_000)]).toEqual([false, 1, false, 1])
    // READONLY again within a minute past the pause (a flapping failover): still 10 s apart
    expect([at(60_000), at(69_999), at(70_000)]).toEqual([1, false, 1])
    // quiet for a minute past the pause: a new failover, reconnected at once and then after 1 s again
    expect([at(140_000), at(140_999), at(141_000)]).toEqual([1, false, 1])
  })

  it.scopedLive("a channel listener that throws on a message: the process goes on, the channel's other listeners get it, and the next", () =>
    Effect.gen(function*() {
      const redis = yield* Redis.make(settingsFor(redisUrl()))
      const channel = redis.key("chan")
      const received = yield* Queue.unbounded<string>()
      yield* redis.subscribe(channel, {
        onMessage: (message) => {
          throw new SyntaxError(`cannot read ${message}`)
        }
      })
      yield* redis.subscribe(channel, { onMessage: (message) => Queue.unsafeOffer(received, message) })
      const before = yield* unreadableCount("listener_threw")
      yield* adminOf(redisUrl(), (admin) => admin.publish(channel, "one"))
      yield* adminOf(redisUrl(), (admin) => admin.publish(channel, "two"))
      expect([yield* Queue.take(received), yield* Queue.take(received)]).toEqual(["one", "two"])
      // each throw caught and counted (uncaught in ioredis's data handler, it would have ended the process)
      expect((yield* unreadableCount("listener_threw")) - before).toBe(2)
    }))

  it.scopedLive("puts REDIS_PREFIX before keys and channels", () =>
    Effect.gen(function*() {
      const server = yield* startRedisServer
      const settings = settingsFor(server.url)
      const redis = yield* Redis.make(settings)
      expect(redis.key("x")).toBe(`${settings.prefix}x`)
    }))

  it.scopedLive("a failed command's error carries a safe reason only: no argument reaches a log line", () =>
    Effect.gen(function*() {
      const redis = yield* Redis.make(RedisSettings.make({ url: redisUrl(), prefix: uniquePrefix() }))
      const secret = "alice-secret-frame-text"
      // a script error whose reply quotes an argument, and a command error whose ioredis error lists its arguments
      const scripted = yield* Effect.flip(redis.eval(new Redis.RedisScript("echo", "return redis.error_reply(ARGV[1])"), [], [`ERR ${secret}`]))
      yield* redis.run((client) => client.set(redis.key("str"), "x"))
      const command = yield* Effect.flip(redis.run((client) => client.hget(redis.key("str"), secret)))
      expect([scripted.reason, command.reason]).toEqual(["Script", "Script"])
      expect(command.detail).toBe("ReplyError WRONGTYPE")
      const lines: Array<string> = []
      const logger = JsonLogger.make((line) => void lines.push(line))
      yield* Effect.gen(function*() {
        for (const error of [scripted, command]) {
          yield* Effect.logWarning("failed", error)
          yield* Effect.logError("failed", Cause.fail(error))
          yield* Effect.catchAllCause(Effect.orDie(Effect.fail(error)), (cause) => Effect.logError("died", cause))
        }
      }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      expect(lines.length).toBe(6)
      for (const line of lines) expect(line).not.toContain(secret)
    }))
})
