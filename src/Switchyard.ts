import type { HttpClient } from "@effect/platform"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Effect, Layer } from "effect"
import { createServer } from "node:http"
import * as AgentLive from "./agent/AgentLive.js"
import { BuiltinHandlers } from "./handlers/index.js"
import { Auth } from "./transport/Auth.js"
import { NodeServer } from "./transport/DirectUpgrade.js"
import * as Server from "./http/Server.js"
import { UpgradeLimits } from "./transport/UpgradeLimits.js"
import { ServerSettings } from "./transport/ServerSettings.js"
import { WebSocketAcceptor } from "./transport/WebSocketAcceptor.js"
import { Lifecycle } from "./state/Lifecycle.js"
import * as Migration from "./migration/Migration.js"
import { MigrationControl } from "./migration/MigrationControl.js"
import { MigrationSettings } from "./migration/MigrationSettings.js"
import * as Takeover from "./migration/Takeover.js"
import { ClientErrorLog } from "./handlers/ClientErrorLog.js"
import { DashboardFeed } from "./http/DashboardFeed.js"
import { Dispatcher } from "./pipeline/Dispatcher.js"
import type { AnyHandler, Requirements } from "./handlers/Handler.js"
import * as Router from "./pipeline/Router.js"
import { Connections } from "./transport/Connections.js"
import { ConnectionServer } from "./transport/ServeConnection.js"
import { TokenExpiry } from "./transport/TokenExpiry.js"
import { UserRateLimit } from "./resilience/UserRateLimit.js"
import * as Cluster from "./Cluster.js"
import * as UserServices from "./UserServices.js"
import { RunCluster } from "./agent/RunCluster.js"

/**
 * The node's stores behind their interfaces (`store/`): users' streams (backplane
 * and history, bounded by the `HISTORY_*` settings), dedupe, migration stages and
 * the cluster view — in Redis with `REDIS_URL`, in memory without (`Cluster.ts`).
 */
export const Stores = Cluster.Stores

/** Per-node state every connection shares; agent runs among the cluster's (`RunCluster`: run leases from the stores). */
const Core = Layer.mergeAll(
  UserServices.sessionsLayer,
  Connections.Default,
  Auth.Default,
  UpgradeLimits.Default,
  WebSocketAcceptor.Default,
  UserRateLimit.Default,
  ClientErrorLog.layer,
  TokenExpiry.Default
).pipe(Layer.provide(RunCluster.layer))

/**
 * The service with your handlers, served on the `HttpServer` in context. It
 * requires the settings (`SwitchyardConfig.layer`: every module's, from the
 * environment, `REDIS_URL` choosing the stores), an `Agent` and whatever your handlers require.
 * It provides `MigrationControl` (shared by migrating handlers and the admin
 * API) and, with `LEGACY_BACKEND_URL`, turns each `LEGACY_TYPES` type into a
 * migration from that backend (`migration/Takeover.ts`).
 *
 * ```ts
 * Switchyard.layer([...BuiltinHandlers, myHandler]).pipe(
 *   Layer.provide(BuiltinAgent.layer),
 *   Layer.provide(Switchyard.listen),
 *   Layer.provide(SwitchyardConfig.layer),
 *   Layer.launch,
 *   NodeRuntime.runMain
 * )
 * ```
 */
export const layer = <const Handlers extends ReadonlyArray<AnyHandler>>(handlers: Handlers) =>
  Layer.unwrapEffect(Effect.map(MigrationSettings, (config) => {
    // with LEGACY_BACKEND_URL, the listed types migrate from that backend (PROTOCOL §8)
    const takeover = Takeover.optionsFrom(config)
    const routed = takeover === undefined ? handlers : Takeover.apply(handlers, takeover)
    // the rewritten list needs what the given handlers need, plus what migrations need
    const router = Router.layer(routed) as unknown as Layer.Layer<
      Router.Router,
      Router.DuplicateHandlerError,
      // (the dispatcher `batch` uses is provided with the router, per connection)
      Requirements<Handlers[number]> | MigrationControl | HttpClient.HttpClient
    >
    // (cluster mode: this node's report of itself to the cluster view)
    // (cluster mode: the users' message rate shared among the nodes serving them)
    return Layer.mergeAll(Server.layer, Cluster.Reporting, Cluster.RateShares).pipe(
      Layer.provide(ConnectionServer.Default),
      Layer.provide(Layer.provideMerge(Dispatcher.layer, router)),
      Layer.provide(DashboardFeed.Default),
      Layer.provide(Core),
      // one instance, shared by the migrating handlers and the admin API
      Layer.provide(MigrationControl.layer(Migration.typesOf(routed))),
      // one set of stores, shared by the users' sessions and the migration control
      Layer.provide(Stores),
      Layer.provide(NodeHttpClient.layer),
      // one lifecycle for the whole node: Core's sessions and runs, the server's readiness and drain
      Layer.provide(Lifecycle.layer)
    )
  }))

/**
 * A Node HTTP server on `PORT`/`HOST` (`ServerSettings`), as the platform's
 * `HttpServer` and as the `NodeServer` whose `/ws` upgrades Switchyard takes directly.
 */
export const listen = Layer.unwrapEffect(
  Effect.sync(() => createServer()).pipe(
    Effect.zipWith(ServerSettings, (node, config) =>
      Layer.merge(
        NodeHttpServer.layer(() => node, { port: config.port, host: config.host }),
        Layer.succeed(NodeServer, node)
      ))
  )
)

/**
 * The service as `npm start` runs it: built-in handlers, the agent `AGENT`
 * selects (built-in by default), listening on `PORT`.
 */
export const Default = layer(BuiltinHandlers).pipe(
  Layer.provide(AgentLive.layer),
  Layer.provide(listen)
)
