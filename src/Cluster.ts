/**
 * Cluster mode at the composition root (README, "Running several nodes"): with
 * `REDIS_URL` set the node's stores are Redis's — users' streams (backplane
 * and history), dedupe, migration stages and the cluster view — and without
 * it they are in memory, with nothing to install. Also the node's report of
 * itself (connections, migration statistics) that the operator's view and
 * `GET /admin/migrations` merge across nodes.
 */
import { Effect, Layer, Schedule } from "effect"
import { MigrationControl } from "./migration/MigrationControl.js"
import { HistorySettings } from "./state/HistorySettings.js"
import * as ClusterView from "./store/ClusterView.js"
import { DedupeSettings } from "./store/DedupeSettings.js"
import * as MemoryDedupeStore from "./store/MemoryDedupeStore.js"
import * as MemoryStageStore from "./store/MemoryStageStore.js"
import * as MemoryStreams from "./store/MemoryStreams.js"
import * as Redis from "./store/Redis.js"
import * as RedisDedupeStore from "./store/RedisDedupeStore.js"
import { RedisSettings } from "./store/RedisSettings.js"
import * as MemoryRunLeases from "./store/MemoryRunLeases.js"
import * as RedisRunLeases from "./store/RedisRunLeases.js"
import * as RedisStageStore from "./store/RedisStageStore.js"
import * as RedisStreams from "./store/RedisStreams.js"
import * as RedisUserConnections from "./store/RedisUserConnections.js"
import * as UserConnections from "./store/UserConnections.js"
import { UserRateLimit } from "./resilience/UserRateLimit.js"
import { Connections } from "./transport/Connections.js"
import { ServerSettings } from "./transport/ServerSettings.js"

const historyOptions = Effect.map(HistorySettings, HistorySettings.toOptions)

/** One node alone, in memory: the default. */
export const memoryStores = Layer.mergeAll(
  Layer.unwrapEffect(Effect.map(historyOptions, MemoryStreams.layer)),
  MemoryStageStore.layer,
  MemoryDedupeStore.layer,
  MemoryRunLeases.layer,
  UserConnections.memoryLayer,
  ClusterView.memoryLayer
)

/**
 * Every node on one Redis (`REDIS_URL`, every key and channel under
 * `REDIS_PREFIX`). Redis unreachable at start fails the layer with a
 * `RedisError` (unless `REDIS_REQUIRED=false`: it starts degraded).
 */
export const redisStores = Layer.mergeAll(
  Layer.unwrapEffect(Effect.map(historyOptions, (options) => RedisStreams.layer(options))),
  RedisStageStore.layer,
  Layer.unwrapEffect(Effect.map(DedupeSettings, (config) => RedisDedupeStore.layer(MemoryDedupeStore.optionsFrom(config)))),
  ClusterView.redisLayer,
  // runs are owned by this node's process: a lease named after NODE_ID (PROTOCOL §7 across nodes)
  Layer.unwrapEffect(Effect.map(ServerSettings, ({ nodeId }) => RedisRunLeases.layer(nodeId))),
  // each user's connections on every node (MAX_CONNECTIONS_PER_USER, the rate's shares)
  Layer.unwrapEffect(Effect.map(ServerSettings, ({ nodeId }) => RedisUserConnections.layer(nodeId)))
).pipe(Layer.provide(Redis.layer))

/** The node's stores: Redis's with `REDIS_URL`, memory's without. */
export const Stores = Layer.unwrapEffect(
  Effect.map(RedisSettings.enabled, (enabled) => (enabled ? redisStores : memoryStores))
)

/**
 * Cluster mode: a user served by several nodes has a share of the message
 * rate on each (`UserRateLimit.share`), told by the connections store as
 * nodes start and stop serving the user. Nothing on one node alone.
 */
export const RateShares = Layer.scopedDiscard(Effect.gen(function*() {
  const connections = yield* UserConnections.UserConnections
  const rateLimit = yield* UserRateLimit
  yield* connections.shares(rateLimit.share)
}))

/**
 * This node reporting itself to the cluster view every few seconds: its
 * connection counts, and its migration statistics for the merged admin view.
 */
export const Reporting = Layer.scopedDiscard(Effect.gen(function*() {
  const view = yield* ClusterView.ClusterView
  const connections = yield* Connections
  const control = yield* MigrationControl
  const { nodeId } = yield* ServerSettings
  const report = Effect.gen(function*() {
    yield* view.report({
      node_id: nodeId,
      connections: yield* connections.count,
      users: yield* connections.users,
      migrations: yield* control.entries
    })
  })
  yield* Effect.forkScoped(Effect.repeat(report, Schedule.spaced(ClusterView.REPORT_EVERY_MS)))
}))
