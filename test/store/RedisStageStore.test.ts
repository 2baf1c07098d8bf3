import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Queue } from "effect"
import { Redis as IORedis } from "ioredis"
import { Redis } from "../../src/store/Redis.js"
import * as RedisStageStore from "../../src/store/RedisStageStore.js"
import { type StageChange, StageStore } from "../../src/store/StageStore.js"
import { redisUrl, startRedisServer, testRedisLayer } from "../support/RedisServer.js"
import { unreadableCount } from "../support/RedisUnreadable.js"

/**
 * What the Redis stage store reads back was written by another node — maybe
 * of another version — or by hand: what it cannot read is ignored, never
 * taken as a stage, and never takes the node down (the conformance suite,
 * `RedisStores.test.ts`, covers what it can read).
 */

/**
 * A store on a fresh prefix of the shared Redis (or the one at `url`: a test
 * that drops connections must not drop other tests'), and a plain connection
 * of an operator's to the same Redis.
 */
const storeAndOperatorOn = (url: string) => Effect.gen(function*() {
  const context = yield* Layer.build(Layer.provideMerge(RedisStageStore.layer, testRedisLayer({}, url)).pipe(Layer.orDie))
  const operator = yield* Effect.acquireRelease(
    Effect.sync(() => new IORedis(url, { maxRetriesPerRequest: 1 })),
    (client) => Effect.sync(() => client.disconnect())
  )
  const redis = Context.get(context, Redis)
  const as: Operator = (command) => Effect.promise(() => command(operator))
  return { store: Context.get(context, StageStore), key: redis.key, as }
})
const storeAndOperator = Effect.suspend(() => storeAndOperatorOn(redisUrl()))

/** Runs a command on the operator's connection. */
type Operator = <A>(command: (client: IORedis) => Promise<A>) => Effect.Effect<A>

// `<origin length>:<origin><type length>:<type><value JSON>`, as RedisStageStore's script announces a change
const announcement = (origin: string, type: string, value: string) => `${origin.length}:${origin}${type.length}:${type}${value}`

describe("RedisStageStore: what it cannot read", () => {
  it.scopedLive("an announcement that is not one, or whose stage does not decode, is no change; the next good one is", () =>
    Effect.gen(function*() {
      const { store, key, as } = yield* storeAndOperator
      const changes = yield* store.changes
      const channel = key("stages:changes")
      const unreadable = [
          "garbage",
          "3:abc4:chat{not json",
          "99:short",
          announcement("other", "chat", JSON.stringify({ stage: "canary", canaryPercent: 500 })),
          announcement("other", "chat", JSON.stringify({ stage: "canary", canaryPercent: 12.5 })),
          "-2:ab1:x{}",
          "5:other99:chat{}",
          announcement("other", "chat", JSON.stringify({ stage: "canary" })),
          // well-formed, but longer than any real one: not held among the changes
          announcement("other", "x".repeat(RedisStageStore.MAX_ANNOUNCEMENT_CHARS), JSON.stringify({ stage: "canary", canaryPercent: 1 }))
      ]
      const before = yield* unreadableCount("stages")
      for (const message of unreadable) yield* as((client) => client.publish(channel, message))
      const good = { stage: "canary", canaryPercent: 30 }
      yield* as((client) => client.publish(channel, announcement("other", "chat", JSON.stringify({ ...good, added: "by a newer version" }))))
      expect(yield* Queue.take(changes)).toEqual({ type: "chat", value: good })
      expect(yield* Queue.size(changes)).toBe(0)
      expect((yield* unreadableCount("stages")) - before).toBe(unreadable.length)
    }))

  it.scopedLive("a stored stage that does not decode is none: get has nothing for its type, all leaves it out", () =>
    Effect.gen(function*() {
      const { store, key, as } = yield* storeAndOperator
      yield* as((client) =>
        client.hset(key("stages"), "chat", "{not json", "typing", JSON.stringify({ stage: "shadow", canaryPercent: -1 }))
      )
      yield* store.set("quality_report", { stage: "canary", canaryPercent: 10 })
      const before = yield* unreadableCount("stages")
      expect(yield* store.get("chat")).toBeUndefined()
      expect(yield* store.get("typing")).toBeUndefined()
      expect(new Map(yield* store.all)).toEqual(new Map([["quality_report", { stage: "canary", canaryPercent: 10 }]]))
      // each read of one counted: two gets, and all (two)
      expect((yield* unreadableCount("stages")) - before).toBe(4)
    }))
})

describe("RedisStageStore: a flood of announcements", () => {
  const legacy = JSON.stringify({ stage: "legacy", canaryPercent: 0 })

  // `count` announcements of types `<stem>0`, `<stem>1`, ... from another node, published at once
  const flood = (key: (name: string) => string, as: Operator, stem: string, count: number) =>
    as((client) => {
      const pipeline = client.pipeline()
      for (let i = 0; i < count; i++) pipeline.publish(key("stages:changes"), announcement("other", `${stem}${i}`, legacy))
      return pipeline.exec()
    })

  // takes changes one at a time, a millisecond each (a node reads the type's stage from Redis on each), until
  // every type of `wanted` came; fails if one does not come
  const takeUntil = (changes: Queue.Dequeue<StageChange>, wanted: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const missing = new Set(wanted)
      const others: Array<string> = []
      while (missing.size > 0) {
        const change = yield* Queue.take(changes).pipe(
          Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => `never came: ${[...missing].slice(0, 5).join(", ")}` })
        )
        if (!missing.delete(change.type)) others.push(change.type)
        yield* Effect.sleep("1 millis")
      }
      return others
    })

  it.scopedLive("holds at most MAX_PENDING_CHANGES; once there is room, every stored stage is reported", () =>
    Effect.gen(function*() {
      const { store, key, as } = yield* storeAndOperator
      const changes = yield* store.changes
      // stored by another node, whose announcement is lost in the flood
      yield* as((client) => client.hset(key("stages"), "chat", JSON.stringify({ stage: "canary", canaryPercent: 30 })))
      yield* flood(key, as, "t", RedisStageStore.MAX_PENDING_CHANGES + 500)
      while ((yield* Queue.size(changes)) < RedisStageStore.MAX_PENDING_CHANGES) yield* Effect.sleep("20 millis")
      // (what was still on its way has arrived by now; held or dropped, never more)
      yield* Effect.sleep("300 millis")
      expect(yield* Queue.size(changes)).toBe(RedisStageStore.MAX_PENDING_CHANGES)
      const others = yield* takeUntil(changes, ["chat"])
      expect(others.slice(0, 3)).toEqual(["t0", "t1", "t2"])
      expect(others.every((type) => /^t\d+$/.test(type))).toBe(true)
    }))

  it.scopedLive("a subscription restored while the queue is nearly full: every stored stage is still reported", () =>
    Effect.gen(function*() {
      const { store, key, as } = yield* storeAndOperatorOn((yield* startRedisServer).url)
      const changes = yield* store.changes
      yield* flood(key, as, "t", RedisStageStore.MAX_PENDING_CHANGES - 4)
      while ((yield* Queue.size(changes)) < RedisStageStore.MAX_PENDING_CHANGES - 4) yield* Effect.sleep("20 millis")
      // changed while this node's subscription was down: their announcements missed
      const stored = Array.from({ length: 10 }, (_, i) => `s${i}`)
      for (const type of stored) yield* as((client) => client.hset(key("stages"), type, legacy))
      yield* as((client) => client.client("KILL", "TYPE", "pubsub"))
      // subscribed again (and a moment for what a restored subscription does), before anything is taken
      const subscribers = () => as((client) => client.pubsub("NUMSUB", key("stages:changes"))).pipe(Effect.map((reply) => Number(reply[1])))
      while ((yield* subscribers()) === 0) yield* Effect.sleep("20 millis")
      yield* Effect.sleep("300 millis")
      yield* takeUntil(changes, stored)
    }))

  it.scopedLive("more stored stages than half the queue, after a flood: each is reported", () =>
    Effect.gen(function*() {
      const { store, key, as } = yield* storeAndOperator
      const changes = yield* store.changes
      const stored = Array.from({ length: 600 }, (_, i) => `s${i}`)
      yield* as((client) => {
        const pipeline = client.pipeline()
        for (const type of stored) pipeline.hset(key("stages"), type, legacy)
        return pipeline.exec()
      })
      yield* flood(key, as, "t", RedisStageStore.MAX_PENDING_CHANGES + 100)
      // (their announcements lost: only a catch-up brings them)
      while ((yield* Queue.size(changes)) < RedisStageStore.MAX_PENDING_CHANGES) yield* Effect.sleep("20 millis")
      yield* takeUntil(changes, stored)
    }))
})
