import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient";
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer";
import { Effect, Layer } from "effect";
import { createServer } from "node:http";
import * as AgentLive from "./agent/AgentLive.js";
import { SwitchyardConfig } from "./Config.js";
import { BuiltinHandlers } from "./handlers/index.js";
import { Auth } from "./http/Auth.js";
import * as Server from "./http/Server.js";
import { WebSocketAcceptor } from "./http/WebSocketAcceptor.js";
import { Lifecycle } from "./Lifecycle.js";
import * as Migration from "./migration/Migration.js";
import { MigrationControl } from "./migration/MigrationControl.js";
import * as Takeover from "./migration/Takeover.js";
import { DashboardFeed } from "./observability/DashboardFeed.js";
import { Dispatcher } from "./router/Dispatcher.js";
import * as Router from "./router/Router.js";
import { Connections } from "./session/Connections.js";
import { UserSessions } from "./session/UserContext.js";
const Core = Layer.mergeAll(UserSessions.layer, Connections.layer, Auth.layer, WebSocketAcceptor.layer).pipe(
  Layer.provideMerge(Lifecycle.layer)
);
const layer = (handlers) => Layer.unwrapEffect(Effect.map(SwitchyardConfig, (config) => {
  const takeover = Takeover.optionsFrom(config);
  const routed = takeover === void 0 ? handlers : Takeover.apply(handlers, takeover);
  const router = Router.layer(routed);
  return Server.layer.pipe(
    Layer.provide(Layer.provideMerge(Dispatcher.layer, router)),
    Layer.provide(DashboardFeed.layer),
    Layer.provide(Core),
    // one instance, shared by the migrating handlers and the admin API
    Layer.provide(MigrationControl.layer(Migration.typesOf(routed))),
    Layer.provide(NodeHttpClient.layer),
    Layer.provide(Lifecycle.layer)
  );
}));
const listen = Layer.unwrapEffect(
  Effect.map(SwitchyardConfig, (config) => NodeHttpServer.layer(createServer, { port: config.port, host: config.host }))
);
const Default = layer(BuiltinHandlers).pipe(
  Layer.provide(AgentLive.layer),
  Layer.provide(listen)
);
export {
  Default,
  layer,
  listen
};
//# sourceMappingURL=Switchyard.js.map
