import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Metric } from "effect"
import * as ClusterView from "../../src/store/ClusterView.js"
import { keyPart, Redis } from "../../src/store/Redis.js"
import { publishesQueued, runEndsOwed } from "../../src/store/RedisStreams.js"
import { testRedisLayer } from "../support/RedisServer.js"
import { unreadableCount } from "../support/RedisUnreadable.js"

describe("ClusterView over Redis", () => {
  it.scopedLive("every live node's report; one it cannot read (another version's, a hand's) is left out, not the rest", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(Layer.provideMerge(ClusterView.redisLayer, testRedisLayer()).pipe(Layer.orDie))
      const view = Context.get(context, ClusterView.ClusterView)
      const redis = Context.get(context, Redis)
      const mine: ClusterView.NodeReport = { node_id: "a", connections: 2, users: 1, migrations: {} }
      yield* view.report(mine)
      // three more nodes' entries, live longer than A's: B's report reads, C's and D's this version cannot read
      const other: ClusterView.NodeReport = { node_id: "b", connections: 5, users: 3, migrations: { chat: {} } }
      const reports = {
        b: JSON.stringify(other),
        c: "{not json",
        d: JSON.stringify({ node_id: "d", connections: "many", users: 1, migrations: {} })
      }
      yield* Effect.orDie(redis.run((client) => {
        const writes = client.multi()
        for (const [id, report] of Object.entries(reports)) {
          writes.set(redis.key(`node:${keyPart(id)}`), report, "PX", 10_000).zadd(redis.key("nodes"), Date.now() + 10_000, id)
        }
        return writes.exec()
      }))
      const before = yield* unreadableCount("nodes")
      const nodes = yield* view.nodes
      expect([...nodes].sort((x, y) => x.node_id.localeCompare(y.node_id))).toEqual([mine, other])
      expect((yield* unreadableCount("nodes")) - before).toBe(2)
    }))

  it.scopedLive("the backplane's state carries the events queued for Redis and the runs' ends owed, each its own gauge", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(Layer.provideMerge(ClusterView.redisLayer, testRedisLayer()).pipe(Layer.orDie))
      const view = Context.get(context, ClusterView.ClusterView)
      const before = yield* view.backplane
      yield* Effect.acquireRelease(
        Effect.zipRight(Metric.incrementBy(publishesQueued, 7), Metric.incrementBy(runEndsOwed, 2)),
        () => Effect.zipRight(Metric.incrementBy(publishesQueued, -7), Metric.incrementBy(runEndsOwed, -2))
      )
      const after = yield* view.backplane
      expect(after).toMatchObject({ mode: "redis", connected: true })
      expect([after.publishesQueued - before.publishesQueued, after.runEndsOwed - before.runEndsOwed]).toEqual([7, 2])
    }))
})
