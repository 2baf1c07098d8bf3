import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Effect, Layer } from "effect"
import { createServer } from "node:http"
import * as BuiltinAgent from "./agent/BuiltinAgent.js"
import { SwitchyardConfig } from "./Config.js"
import { BuiltinHandlers } from "./handlers/index.js"
import { Auth } from "./http/Auth.js"
import * as Server from "./http/Server.js"
import { WebSocketAcceptor } from "./http/WebSocketAcceptor.js"
import { Lifecycle } from "./Lifecycle.js"
import { Dispatcher } from "./router/Dispatcher.js"
import type { AnyHandler } from "./router/Handler.js"
import * as Router from "./router/Router.js"
import { Connections } from "./session/Connections.js"
import { UserSessions } from "./session/UserContext.js"

/** Per-node state every connection shares. */
const Core = Layer.mergeAll(UserSessions.layer, Connections.layer, Auth.layer, WebSocketAcceptor.layer).pipe(
  Layer.provideMerge(Lifecycle.layer)
)

/**
 * The service with your handlers, served on the `HttpServer` in context. It
 * requires `SwitchyardConfig`, an `Agent` and whatever your handlers require.
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
  Server.layer.pipe(
    Layer.provide(Layer.provideMerge(Dispatcher.layer, Router.layer(handlers))),
    Layer.provide(Core),
    Layer.provide(Lifecycle.layer)
  )

/** A Node HTTP server on `PORT`/`HOST` of the config. */
export const listen = Layer.unwrapEffect(
  Effect.map(SwitchyardConfig, (config) => NodeHttpServer.layer(createServer, { port: config.port, host: config.host }))
)

/** The service as `npm start` runs it: built-in handlers and agent, listening on `PORT`. */
export const Default = layer(BuiltinHandlers).pipe(
  Layer.provide(BuiltinAgent.layer),
  Layer.provide(listen)
)
