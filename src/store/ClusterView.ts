import { randomUUID } from "node:crypto"
import { Clock, Context, Effect, Layer, Metric, Option, Schedule, Schema } from "effect"
import { keyPart, Redis } from "./Redis.js"
import { publishesQueued, runEndsOwed } from "./RedisStreams.js"

/**
 * The operator's view of the cluster (README, "Running several nodes"): the state of
 * this node's backplane, and what every live node last reported of itself —
 * its connection counts and its migration statistics, which
 * `GET /admin/migrations` sums. In memory the cluster is this node alone.
 *
 * Redis: each node writes its report every few seconds to its own key with a
 * TTL (`<prefix>node:<hex id>`) and its id to a sorted set scored by the key's
 * expiry (`<prefix>nodes`); a node that stopped reporting drops out within
 * the TTL. Lag is measured off the frame path: a probe message published on
 * a channel of this node's own and timed until it comes back.
 */

/** What one node says of itself; `migrations` is its `GET /admin/migrations` `types` (JSON). */
export interface NodeReport {
  readonly node_id: string
  readonly connections: number
  readonly users: number
  readonly migrations: Readonly<Record<string, unknown>>
}

// another node's report, as read back: decoded, not trusted (a node of another version, or a hand, wrote it);
// one that does not decode is left out of the view (typed as `NodeReport`, so the two cannot drift apart)
const NodeReportJson: Schema.Schema<NodeReport, string> = Schema.parseJson(Schema.Struct({
  node_id: Schema.String,
  connections: Schema.NonNegativeInt,
  users: Schema.NonNegativeInt,
  migrations: Schema.Record({ key: Schema.String, value: Schema.Unknown })
}))
const decodeReport: (json: string) => Option.Option<NodeReport> = Schema.decodeUnknownOption(NodeReportJson)

/** The backplane of this node as the operator sees it. */
export interface BackplaneState {
  readonly mode: "memory" | "redis"
  /** memory: always; redis: both connections ready */
  readonly connected: boolean
  readonly status: "connecting" | "connected" | "reconnecting" | "closed"
  /** reconnections to Redis since start */
  readonly reconnects: number
  /** the round trip of the latest pub/sub probe (ms); undefined before the first or while down */
  readonly lagMs: number | undefined
  /**
   * users' stream events handed over to Redis and not settled yet (`switchyard_redis_publishes_queued`): piles
   * up while Redis is slow. Counted over the process, like the gauge: one node's in a deployment
   */
  readonly publishesQueued: number
  /** runs' ends Redis has not confirmed yet (`switchyard_redis_run_ends_owed`; over the process too) */
  readonly runEndsOwed: number
}

/** The cluster view of this node. */
export class ClusterView extends Context.Tag("switchyard/store/ClusterView")<ClusterView, {
  readonly backplane: Effect.Effect<BackplaneState>
  /** Publishes this node's report (kept for `REPORT_TTL_MS` unless reported again). */
  readonly report: (report: NodeReport) => Effect.Effect<void>
  /** The latest report of every live node, this one's included once it reported (one it cannot read: left out). */
  readonly nodes: Effect.Effect<ReadonlyArray<NodeReport>>
}>() {}

/** How often a node reports itself, and how long a report lasts without the next (4 missed reports). */
export const REPORT_EVERY_MS = 2_000
export const REPORT_TTL_MS = 5 * REPORT_EVERY_MS
// how often the pub/sub lag is probed
const PROBE_EVERY_MS = 5_000

/** One node alone: its backplane is in-process. */
export const memoryLayer: Layer.Layer<ClusterView> = Layer.sync(ClusterView, () => {
  let last: NodeReport | undefined
  return ClusterView.of({
    backplane: Effect.succeed({
      mode: "memory",
      connected: true,
      status: "connected",
      reconnects: 0,
      lagMs: 0,
      publishesQueued: 0,
      runEndsOwed: 0
    }),
    report: (report) => Effect.sync(() => void (last = report)),
    nodes: Effect.sync(() => (last === undefined ? [] : [last]))
  })
})

/** The view over the node's `Redis`. */
export const redisLayer: Layer.Layer<ClusterView, never, Redis> = Layer.scoped(
  ClusterView,
  Effect.gen(function*() {
    const redis = yield* Redis
    const set = redis.key("nodes")
    const probeChannel = redis.key(`probe:${randomUUID()}`)
    let last: NodeReport | undefined
    let lagMs: number | undefined
    let probeSentAt: number | undefined

    const clock = yield* Effect.clock
    // the probe's echo: its round trip is the lag a stream event sees between two nodes (one hop each way)
    // (Redis away at start: subscribed in the background once it answers)
    yield* Effect.forkScoped(Effect.retry(
      redis.subscribe(probeChannel, {
        onMessage: (sent) => {
          if (Number(sent) === probeSentAt) lagMs = clock.unsafeCurrentTimeMillis() - probeSentAt
        }
      }),
      Schedule.spaced("1 second")
    ))
    yield* Effect.forkScoped(Effect.repeat(
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        probeSentAt = now
        return Effect.ignore(redis.run((client) => client.publish(probeChannel, String(now))))
      }),
      Schedule.spaced(PROBE_EVERY_MS)
    ))

    const report = (value: NodeReport) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        last = value
        return Effect.ignore(redis.run((client) =>
          client.multi()
            .set(redis.key(`node:${keyPart(value.node_id)}`), JSON.stringify(value), "PX", REPORT_TTL_MS)
            .zadd(set, now + REPORT_TTL_MS, value.node_id)
            .zremrangebyscore(set, "-inf", now)
            .exec()
        ))
      })

    const nodes = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      redis.run(async (client) => {
        const ids = await client.zrangebyscore(set, now, "+inf")
        if (ids.length === 0) return []
        const values = await client.mget(ids.map((id) => redis.key(`node:${keyPart(id)}`)))
        return values.flatMap((value) => {
          if (value === null) return []
          const report = decodeReport(value)
          if (Option.isNone(report)) redis.unreadable("nodes")
          return Option.toArray(report)
        })
      }).pipe(
        // Redis away: this node is all it can vouch for
        Effect.orElseSucceed(() => (last === undefined ? [] : [last]))
      ))

    return ClusterView.of({
      backplane: Effect.map(
        Effect.all([redis.health, Metric.value(publishesQueued), Metric.value(runEndsOwed)]),
        ([health, queued, owed]) => ({
          mode: "redis",
          connected: health.connected,
          status: health.status,
          reconnects: health.reconnects,
          lagMs: health.connected ? lagMs : undefined,
          publishesQueued: queued.value,
          runEndsOwed: owed.value
        })
      ),
      report,
      nodes
    })
  })
)
