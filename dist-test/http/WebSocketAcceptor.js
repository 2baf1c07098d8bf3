import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest";
import { Context, Data, Effect, Layer } from "effect";
import { WebSocketServer } from "ws";
import { SwitchyardConfig } from "../Config.js";
class UpgradeError extends Data.TaggedError("UpgradeError") {
  get message() {
    return "the WebSocket handshake did not complete";
  }
}
const NO_HEAD = Buffer.alloc(0);
class WebSocketAcceptor extends Context.Tag("switchyard/WebSocketAcceptor")() {
  /** The acceptor with `MAX_MESSAGE_BYTES` as its frame limit. */
  static layer = Layer.scoped(
    WebSocketAcceptor,
    Effect.gen(function* () {
      const config = yield* SwitchyardConfig;
      const server = yield* Effect.acquireRelease(
        Effect.sync(
          () => new WebSocketServer({
            noServer: true,
            maxPayload: config.maxMessageBytes,
            perMessageDeflate: false,
            clientTracking: false
          })
        ),
        (server2) => Effect.async((resume) => server2.close(() => resume(Effect.void)))
      );
      return {
        accept: (request) => Effect.async((resume) => {
          const incoming = NodeHttpServerRequest.toIncomingMessage(request);
          const socket = incoming.socket;
          const onClose = () => resume(Effect.fail(new UpgradeError({ reason: "Aborted" })));
          socket.once("close", onClose);
          server.handleUpgrade(incoming, socket, NO_HEAD, (ws) => {
            socket.off("close", onClose);
            resume(Effect.succeed(ws));
          });
        })
      };
    })
  );
}
export {
  UpgradeError,
  WebSocketAcceptor
};
//# sourceMappingURL=WebSocketAcceptor.js.map
