import { createHash } from "node:crypto"
import { HttpMiddleware, HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import { Effect, Layer, Metric, Option, Schedule } from "effect"
import { ServerSettings } from "../transport/ServerSettings.js"
import { Lifecycle } from "../state/Lifecycle.js"
import * as Metrics from "../observability/Metrics.js"
import * as Prometheus from "../observability/Prometheus.js"
import * as AsyncApi from "../protocol/AsyncApi.js"
import { CloseCode } from "../protocol/ErrorCode.js"
import { Connections } from "../transport/Connections.js"
import { UserSessions } from "../state/UserSessions.js"
import * as Admin from "./Admin.js"
import * as ClusterMetrics from "./ClusterMetrics.js"
import { ClusterView } from "../store/ClusterView.js"
import { isWebSocketUrl } from "../transport/Admission.js"
import { hasQueryToken } from "../transport/Auth.js"
import * as Dashboard from "./Dashboard.js"
import * as DirectUpgrade from "../transport/DirectUpgrade.js"
import { socketAddress } from "../transport/PeerAddress.js"
import { guardUpgrade } from "../transport/WebSocketAcceptor.js"
import { serveRouteUpgrade } from "../transport/RouteUpgrade.js"

/**
 * `GET /ws`: admit (401 before any upgrade), then hand the socket to the
 * `ConnectionServer`. When the service owns its Node server, upgrades are taken
 * before they reach this route (`DirectUpgrade`): it still answers plain GETs
 * (426), and every upgrade when Switchyard is served on an app's own `HttpServer`.
 */
const webSocket = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  // an upgrade request's socket lost Node's error listener (a GET that only names `Upgrade` keeps one: guarding it too is harmless)
  if (request.headers["upgrade"] !== undefined) guardUpgrade(NodeHttpServerRequest.toIncomingMessage(request).socket)
  // the socket's peer, never a forwarded header (which a middleware may have written into `remoteAddress`)
  const refused = yield* serveRouteUpgrade(request, socketAddress(request))
  if (refused !== undefined) {
    const headers = refused.retryAfterS === undefined ? {} : { "retry-after": String(refused.retryAfterS) }
    return HttpServerResponse.unsafeJson({ error: refused.error }, { status: refused.status, headers })
  }
  // the acceptor took the socket off the platform: this response is never written, and
  // returning now frees the request (the connection lives on its socket's events)
  return HttpServerResponse.empty()
}).pipe(Effect.catchTag("UpgradeError", () => Effect.succeed(HttpServerResponse.empty({ status: 400 }))))

/** `GET /ready`: 200 while serving, 503 while draining or while the backplane (Redis, in cluster mode) is down. */
const ready = Effect.gen(function*() {
  const lifecycle = yield* Lifecycle
  if (lifecycle.draining) return HttpServerResponse.unsafeJson({ status: "draining" }, { status: 503 })
  const view = yield* Effect.serviceOption(ClusterView)
  if (Option.isSome(view)) {
    const backplane = yield* view.value.backplane
    if (!backplane.connected) {
      return HttpServerResponse.unsafeJson({ status: "redis_unavailable", redis: backplane.status }, { status: 503 })
    }
  }
  return HttpServerResponse.unsafeJson({ status: "ready" })
})

/** `GET /metrics`: Prometheus text; the gauges are read at scrape time. */
const metrics = Effect.gen(function*() {
  const connections = yield* Connections
  const sessions = yield* UserSessions
  const lifecycle = yield* Lifecycle
  Metrics.registerZeroes()
  yield* Metric.set(Metrics.connectionsOpen, yield* connections.count)
  yield* Metric.set(Metrics.usersConnected, yield* connections.users)
  yield* Metric.set(Metrics.usersActive, yield* sessions.size)
  yield* Metric.set(Metrics.runsRunning, Math.max(0, lifecycle.runningRuns))
  const view = yield* Effect.serviceOption(ClusterView)
  const cluster = Option.isSome(view)
    ? ClusterMetrics.render((yield* ServerSettings).nodeId, yield* view.value.backplane, yield* view.value.nodes)
    : ""
  return HttpServerResponse.text((yield* Prometheus.snapshot) + cluster, { contentType: Prometheus.contentType })
})

/**
 * `GET /asyncapi.json`: the wire contract as AsyncAPI 3, generated from the
 * protocol's schemas — made once, on the first request (the same text as the
 * committed docs/asyncapi.json). Anyone may fetch it without a token, so it is
 * served as bytes made once, with an ETag: a client that has it gets a 304.
 */
let asyncApiDocument: { readonly body: Uint8Array; readonly etag: string } | undefined
const asyncApi = Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
  if (asyncApiDocument === undefined) {
    const body = new TextEncoder().encode(AsyncApi.text())
    asyncApiDocument = { body, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` }
  }
  const headers = { etag: asyncApiDocument.etag, "cache-control": "public, max-age=300" }
  return request.headers["if-none-match"] === asyncApiDocument.etag
    ? HttpServerResponse.empty({ status: 304, headers })
    : HttpServerResponse.uint8Array(asyncApiDocument.body, { contentType: "application/json", headers })
})

/** Every route of PROTOCOL §1 served by this module. */
export const routes = HttpRouter.empty.pipe(
  HttpRouter.get("/ws", webSocket),
  HttpRouter.get("/health", Effect.succeed(HttpServerResponse.unsafeJson({ status: "ok" }))),
  HttpRouter.get("/ready", ready),
  HttpRouter.get("/metrics", metrics),
  HttpRouter.get("/asyncapi.json", asyncApi),
  // `/` (the dashboard), its event stream, and development tokens for its chat panel
  HttpRouter.concat(Dashboard.routes),
  // `/admin/migrations[/:type]`: migration control (PROTOCOL §8)
  HttpRouter.concat(Admin.routes)
)

/**
 * Graceful drain (SIGTERM/SIGINT interrupt the main fiber, closing this
 * scope): `/ready` and new upgrades answer 503, running agent runs get up to
 * `DRAIN_TIMEOUT_MS` to finish, then every connection closes with 1012.
 */
export const drain = Effect.gen(function*() {
  const config = yield* ServerSettings
  const lifecycle = yield* Lifecycle
  const connections = yield* Connections
  yield* lifecycle.startDraining
  yield* Effect.logInfo("draining", { running_runs: lifecycle.runningRuns })
  // (the waits interruptible: drain runs as a finalizer, which is not, and the timeouts could not cut them short)
  yield* Effect.sync(() => lifecycle.runningRuns).pipe(
    Effect.repeat({ until: (running) => running <= 0, schedule: Schedule.spaced("20 millis") }),
    Effect.interruptible,
    Effect.timeout(config.drainTimeoutMs),
    Effect.ignore
  )
  yield* connections.closeAll(CloseCode.serviceRestart, "service restart")
  // give the close frames a moment to reach the clients
  yield* connections.count.pipe(
    Effect.repeat({ until: (open) => open === 0, schedule: Schedule.spaced("10 millis") }),
    Effect.interruptible,
    Effect.timeout("2 seconds"),
    Effect.ignore
  )
})

/**
 * Serves `routes` on the `HttpServer` in context, draining before it stops.
 * An upgrade to `/ws` gets no server span: its URL carries the access token
 * (`url.full`, `url.query`), and the span would end with the handshake anyway,
 * long before the connection does — at the cost of its allocations on every connect.
 * Nor does any other request with `?access_token=` (an admin call): its span would ship the token.
 */
export const layer = Layer.scopedDiscard(Effect.gen(function*() {
  const server = yield* HttpServer.HttpServer
  const app = yield* HttpRouter.toHttpApp(routes)
  yield* server.serve(app)
  const node = yield* Effect.serviceOption(DirectUpgrade.NodeServer)
  if (Option.isSome(node)) yield* DirectUpgrade.install(node.value)
  yield* Effect.addFinalizer(() => drain)
  const address = server.address
  if (address._tag === "TcpAddress") {
    yield* Effect.logInfo(`Switchyard listening on http://${address.hostname}:${address.port} (WebSocket at /ws)`)
  }
})).pipe(HttpMiddleware.withTracerDisabledWhen((request) => isWebSocketUrl(request.url) || hasQueryToken(request.url)))
