import { Context, Effect, Layer, Schedule } from "effect";
import { SwitchyardConfig } from "../Config.js";
import { CloseCode } from "../protocol/ErrorCode.js";
class Connections extends Context.Tag("switchyard/Connections")() {
  /** The registry, with its heartbeat loop running every `heartbeatMs`. */
  static layer = Layer.scoped(
    Connections,
    Effect.gen(function* () {
      const config = yield* SwitchyardConfig;
      const open = /* @__PURE__ */ new Set();
      const perUser = /* @__PURE__ */ new Map();
      const heartbeat = Effect.sync(() => {
        for (const connection of open) {
          if (connection.awaitingPong && ++connection.missedPongs >= 2) {
            connection.close(CloseCode.heartbeatTimeout, "heartbeat timeout");
            continue;
          }
          connection.ping();
        }
      });
      if (config.heartbeatMs > 0) {
        yield* Effect.forkScoped(Effect.repeat(heartbeat, Schedule.spaced(config.heartbeatMs)).pipe(
          Effect.delay(config.heartbeatMs)
        ));
      }
      return {
        add: (connection) => Effect.sync(() => {
          if (open.has(connection)) return;
          open.add(connection);
          perUser.set(connection.userId, (perUser.get(connection.userId) ?? 0) + 1);
        }),
        remove: (connection) => Effect.sync(() => {
          if (!open.delete(connection)) return;
          const left = (perUser.get(connection.userId) ?? 1) - 1;
          if (left <= 0) perUser.delete(connection.userId);
          else perUser.set(connection.userId, left);
        }),
        count: Effect.sync(() => open.size),
        users: Effect.sync(() => perUser.size),
        closeAll: (code, reason) => Effect.sync(() => {
          for (const connection of open) connection.close(code, reason);
        }),
        heartbeat
      };
    })
  );
}
export {
  Connections
};
//# sourceMappingURL=Connections.js.map
