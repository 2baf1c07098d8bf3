import type { HttpServerRequest } from "@effect/platform"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import { Data, Effect } from "effect"
import type { IncomingMessage } from "node:http"
import type { Socket } from "node:net"
import { WebSocket, WebSocketServer } from "ws"
import { TransportSettings } from "./TransportSettings.js"

/** The upgrade handshake did not complete (bad handshake, or the peer left). */
export class UpgradeError extends Data.TaggedError("UpgradeError")<{ readonly reason: "Aborted" }> {
  override get message(): string {
    return "the WebSocket handshake did not complete"
  }
}

const NO_HEAD = Buffer.alloc(0)

/**
 * Node takes its own error listener off a socket when it emits `upgrade`:
 * until ws owns it, a peer that resets would raise an unhandled 'error' and
 * crash the process. One shared listener, taken off again once ws has the socket.
 */
export const guardUpgrade = (socket: Socket): void => {
  if (!socket.listeners("error").includes(destroyOnError)) socket.on("error", destroyOnError)
}

function destroyOnError(this: Socket): void {
  this.destroy()
}

/**
 * Completes a WebSocket upgrade on the request the `/ws` route has already
 * authenticated. It owns one `ws` server (no HTTP server of its own: the
 * platform's serves every path on one port) so that each connection is the
 * raw `ws` socket: its `bufferedAmount` bounds slow consumers, its ping/pong
 * is the heartbeat, its `maxPayload` closes oversized frames with 1009 before
 * they are buffered — none of which `Socket.fromWebSocket` exposes.
 *
 * Once upgraded, the socket is ws's alone: the route may return at once (see
 * `handOver`), so no request fiber lives as long as the connection.
 * `WebSocketAcceptor.Default`: the acceptor with `MAX_MESSAGE_BYTES` as its frame limit.
 */
export class WebSocketAcceptor extends Effect.Service<WebSocketAcceptor>()("switchyard/WebSocketAcceptor", {
  scoped: Effect.gen(function*() {
    const config = yield* TransportSettings
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
    // completes the handshake, calling `opened` or, if the peer leaves first, `aborted` (ws answers a bad handshake itself)
    const upgradeNow = (
      incoming: IncomingMessage,
      socket: Socket,
      head: Buffer,
      opened: (ws: WebSocket) => void,
      aborted: () => void
    ): void => {
      // the peer left while the admission waited (cluster mode: the user's connections counted in Redis): its
      // close has been emitted already, and ws would destroy it without calling back — `aborted` now, or its
      // slots would never be given back
      if (socket.destroyed || !socket.readable || !socket.writable) {
        socket.destroy()
        return aborted()
      }
      socket.once("close", aborted)
      server.handleUpgrade(incoming, socket, head, (ws) => {
        socket.off("close", aborted)
        socket.off("error", destroyOnError)
        opened(ws)
      })
    }
    const upgrade = (incoming: IncomingMessage, socket: Socket, head: Buffer, accepted: (ws: WebSocket) => void) =>
      Effect.async<WebSocket, UpgradeError>((resume) =>
        upgradeNow(incoming, socket, head, (ws) => {
          accepted(ws)
          resume(Effect.succeed(ws))
        }, () => resume(Effect.fail(new UpgradeError({ reason: "Aborted" }))))
      )
    return {
      /** Upgrades a request the platform is serving (the `/ws` route). */
      accept: (request: HttpServerRequest.HttpServerRequest): Effect.Effect<WebSocket, UpgradeError> =>
        Effect.suspend(() => {
          const incoming = NodeHttpServerRequest.toIncomingMessage(request)
          const socket = incoming.socket
          const before = socket.listeners("close")
          return upgrade(incoming, socket, NO_HEAD, () => {
            const wsListeners = socket.listeners("close").filter((listener) => !before.includes(listener))
            handOver(request, socket, wsListeners)
          })
        }),
      /**
       * Upgrades a request straight from the Node server's `upgrade` event (`DirectUpgrade`), without an
       * Effect: `opened` is called with the socket (at once, unless a bad handshake is answered by ws) or
       * `aborted` if the peer leaves first.
       */
      acceptUpgradeNow: upgradeNow
    }
  })
}) {}

/**
 * Takes an upgraded socket off the platform, which otherwise (1) answers the
 * route's response on it once the route returns, and (2) keeps the request's
 * fiber — with its context and the request itself, several KiB — reachable
 * from the socket until it closes, through a close listener that would only
 * interrupt a route long done. The platform's response is ended detached from
 * the socket, so it is never written; every close listener but ws's own is
 * dropped once the platform's upgrade handler has returned (it adds its
 * listener after running the route, which may finish synchronously).
 */
const handOver = (
  request: HttpServerRequest.HttpServerRequest,
  socket: Socket,
  wsListeners: ReturnType<Socket["listeners"]>
): void => {
  const response = NodeHttpServerRequest.toServerResponse(request)
  if (response.socket === socket) response.detachSocket(socket)
  response.end()
  process.nextTick(() => {
    for (const listener of socket.listeners("close")) {
      if (!wsListeners.includes(listener)) socket.off("close", listener as (...args: Array<unknown>) => void)
    }
  })
}
