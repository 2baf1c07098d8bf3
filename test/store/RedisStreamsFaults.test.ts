import { describe, expect, it } from "@effect/vitest"
import { Chunk, Context, Effect, Layer, Queue } from "effect"
import { Backplane } from "../../src/store/Backplane.js"
import type { HistoryEntry } from "../../src/store/History.js"
import * as Redis from "../../src/store/Redis.js"
import { RedisSettings } from "../../src/store/RedisSettings.js"
import * as RedisStreams from "../../src/store/RedisStreams.js"
import { startRedisServer, uniquePrefix } from "../support/RedisServer.js"

const history = { minEvents: 100, minAgeMs: 60_000, maxEvents: 1000 }

describe("RedisStreams faults", () => {
  it.scopedLive("a listener whose subscription was lost gets what was published meanwhile from history, in order, then the rest", () =>
    Effect.gen(function*() {
      const server = yield* startRedisServer
      const settings = RedisSettings.make({ url: server.url, prefix: uniquePrefix(), reconnectMaxDelayMs: 100 })
      const node = Effect.map(
        Layer.build(RedisStreams.layer(history).pipe(Layer.provideMerge(Redis.layerWith(settings)), Layer.orDie)),
        (context) => ({ backplane: Context.get(context, Backplane), redis: Context.get(context, Redis.Redis) })
      )
      const a = yield* node
      const b = yield* node
      const events = yield* Queue.unbounded<HistoryEntry>()
      yield* b.backplane.subscribe("u", { event: (entry) => Queue.unsafeOffer(events, entry), signal: () => {} })
      const publish = (n: number) => a.backplane.publish("u", { head: `{"n":${n},"seq":`, tail: "}", at: n })

      for (let n = 1; n <= 3; n++) yield* publish(n)
      expect(Chunk.toArray(yield* Queue.takeN(events, 3)).map((e) => e.seq)).toEqual([1, 2, 3])
      // every pub/sub connection dropped: B's messages of 4..6 are lost on the wire, not in Redis
      yield* a.redis.run((client) => client.client("KILL", "TYPE", "pubsub"))
      for (let n = 4; n <= 6; n++) yield* publish(n)
      const caughtUp = Chunk.toArray(yield* Queue.takeN(events, 3))
      expect(caughtUp.map((e) => e.seq)).toEqual([4, 5, 6])
      expect(caughtUp.map((e) => e.frame)).toEqual([`{"n":4,"seq":4}`, `{"n":5,"seq":5}`, `{"n":6,"seq":6}`])
      yield* publish(7)
      expect((yield* Queue.take(events)).seq).toBe(7)
      expect(yield* Queue.size(events)).toBe(0)
    }))
})
