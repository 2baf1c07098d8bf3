import type { HttpServerRequest } from "@effect/platform"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import { Context, Data, Effect, Layer } from "effect"
import { WebSocket, WebSocketServer } from "ws"
import { SwitchyardConfig } from "../Config.js"

/** The upgrade handshake did not complete (bad handshake, or the peer left). */
export class UpgradeError extends Data.TaggedError("UpgradeError")<{ readonly reason: "Aborted" }> {
  override get message(): string {
    return "the WebSocket handshake did not complete"
  }
}

const NO_HEAD = Buffer.alloc(0)

/**
 * Completes a WebSocket upgrade on the request the `/ws` route has already
 * authenticated. It owns one `ws` server (no HTTP server of its own: the
 * platform's serves every path on one port) so that each connection is the
 * raw `ws` socket: its `bufferedAmount` bounds slow consumers, its ping/pong
 * is the heartbeat, its `maxPayload` closes oversized frames with 1009 before
 * they are buffered — none of which `Socket.fromWebSocket` exposes.
 */
export class WebSocketAcceptor extends Context.Tag("switchyard/WebSocketAcceptor")<WebSocketAcceptor, {
  readonly accept: (request: HttpServerRequest.HttpServerRequest) => Effect.Effect<WebSocket, UpgradeError>
}>() {
  /** The acceptor with `MAX_MESSAGE_BYTES` as its frame limit. */
  static readonly layer: Layer.Layer<WebSocketAcceptor, never, SwitchyardConfig> = Layer.scoped(
    WebSocketAcceptor,
    Effect.gen(function*() {
      const config = yield* SwitchyardConfig
      const server = yield* Effect.acquireRelease(
        Effect.sync(() =>
          new WebSocketServer({
            noServer: true,
            maxPayload: config.maxMessageBytes,
            perMessageDeflate: false,
            clientTracking: false
          })
        ),
        (server) => Effect.async<void>((resume) => server.close(() => resume(Effect.void)))
      )
      return {
        accept: (request) =>
          Effect.async<WebSocket, UpgradeError>((resume) => {
            const incoming = NodeHttpServerRequest.toIncomingMessage(request)
            const socket = incoming.socket
            const onClose = () => resume(Effect.fail(new UpgradeError({ reason: "Aborted" })))
            socket.once("close", onClose)
            server.handleUpgrade(incoming, socket, NO_HEAD, (ws) => {
              socket.off("close", onClose)
              resume(Effect.succeed(ws))
            })
          })
      }
    })
  )
}
