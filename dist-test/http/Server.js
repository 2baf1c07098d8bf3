import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform";
import { Effect, Either, Layer, Metric, Schedule } from "effect";
import { SwitchyardConfig } from "../Config.js";
import { Lifecycle } from "../Lifecycle.js";
import * as Metrics from "../observability/Metrics.js";
import * as Prometheus from "../observability/Prometheus.js";
import { CloseCode } from "../protocol/ErrorCode.js";
import { Connections } from "../session/Connections.js";
import { serveConnection } from "../session/ServeConnection.js";
import { UserSessions } from "../session/UserContext.js";
import * as Admin from "./Admin.js";
import { Auth } from "./Auth.js";
import * as Dashboard from "./Dashboard.js";
import { WebSocketAcceptor } from "./WebSocketAcceptor.js";
const webSocket = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest;
  const lifecycle = yield* Lifecycle;
  if (lifecycle.draining) {
    return HttpServerResponse.unsafeJson({ error: "draining: reconnect to another node" }, { status: 503 });
  }
  const auth = yield* Auth;
  const principal = auth.authenticate(request.headers, request.url);
  if (Either.isLeft(principal)) {
    return HttpServerResponse.unsafeJson({ error: principal.left.message }, { status: 401 });
  }
  if ((request.headers["upgrade"] ?? "").toLowerCase() !== "websocket") {
    return HttpServerResponse.unsafeJson({ error: "expected a WebSocket upgrade" }, { status: 426 });
  }
  const acceptor = yield* WebSocketAcceptor;
  const ws = yield* acceptor.accept(request);
  yield* Effect.scoped(serveConnection(ws, principal.right.userId));
  return HttpServerResponse.empty();
}).pipe(Effect.catchTag("UpgradeError", () => Effect.succeed(HttpServerResponse.empty({ status: 400 }))));
const ready = Effect.map(Lifecycle, (lifecycle) => lifecycle.draining ? HttpServerResponse.unsafeJson({ status: "draining" }, { status: 503 }) : HttpServerResponse.unsafeJson({ status: "ready" }));
const metrics = Effect.gen(function* () {
  const connections = yield* Connections;
  const sessions = yield* UserSessions;
  const lifecycle = yield* Lifecycle;
  Metrics.registerZeroes();
  yield* Metric.set(Metrics.connectionsOpen, yield* connections.count);
  yield* Metric.set(Metrics.usersConnected, yield* connections.users);
  yield* Metric.set(Metrics.usersActive, yield* sessions.size);
  yield* Metric.set(Metrics.runsRunning, Math.max(0, lifecycle.runningRuns));
  return HttpServerResponse.text(yield* Prometheus.snapshot, { contentType: Prometheus.contentType });
});
const routes = HttpRouter.empty.pipe(
  HttpRouter.get("/ws", webSocket),
  HttpRouter.get("/health", Effect.succeed(HttpServerResponse.unsafeJson({ status: "ok" }))),
  HttpRouter.get("/ready", ready),
  HttpRouter.get("/metrics", metrics),
  // `/` (the dashboard), its event stream, and development tokens for its chat panel
  HttpRouter.concat(Dashboard.routes),
  // `/admin/migrations[/:type]`: migration control (PROTOCOL §8)
  HttpRouter.concat(Admin.routes)
);
const drain = Effect.gen(function* () {
  const config = yield* SwitchyardConfig;
  const lifecycle = yield* Lifecycle;
  const connections = yield* Connections;
  yield* lifecycle.startDraining;
  yield* Effect.logInfo("draining", { running_runs: lifecycle.runningRuns });
  yield* Effect.sync(() => lifecycle.runningRuns).pipe(
    Effect.repeat({ until: (running) => running <= 0, schedule: Schedule.spaced("20 millis") }),
    Effect.timeout(config.drainTimeoutMs),
    Effect.ignore
  );
  yield* connections.closeAll(CloseCode.serviceRestart, "service restart");
  yield* connections.count.pipe(
    Effect.repeat({ until: (open) => open === 0, schedule: Schedule.spaced("10 millis") }),
    Effect.timeout("2 seconds"),
    Effect.ignore
  );
});
const layer = Layer.scopedDiscard(Effect.gen(function* () {
  const server = yield* HttpServer.HttpServer;
  const app = yield* HttpRouter.toHttpApp(routes);
  yield* server.serve(app);
  yield* Effect.addFinalizer(() => drain);
  const address = server.address;
  if (address._tag === "TcpAddress") {
    yield* Effect.logInfo(`Switchyard listening on http://${address.hostname}:${address.port} (WebSocket at /ws)`);
  }
}));
export {
  drain,
  layer,
  routes
};
//# sourceMappingURL=Server.js.map
