import { Context, Effect, Either, Runtime, type Scope } from "effect"
import { type IncomingMessage, type Server, STATUS_CODES } from "node:http"
import type { Socket } from "node:net"
import { Lifecycle } from "../state/Lifecycle.js"
import { ConnectionServer } from "./ServeConnection.js"
import { admit, isWebSocketUrl } from "./Admission.js"
import type { Refusal } from "./Refusal.js"
import { Auth } from "./Auth.js"
import { UpgradeLimits } from "./UpgradeLimits.js"
import { guardUpgrade, WebSocketAcceptor } from "./WebSocketAcceptor.js"

/**
 * The Node HTTP server the service listens on, when it owns one
 * (`Switchyard.listen`). An app that serves Switchyard's routes on an
 * `HttpServer` of its own leaves it out: its `/ws` upgrades take the route.
 */
export class NodeServer extends Context.Tag("switchyard/NodeServer")<NodeServer, Server>() {}

type UpgradeListener = (request: IncomingMessage, socket: Socket, head: Buffer) => void

/**
 * Takes WebSocket upgrades to `/ws` from the Node server's `upgrade` event,
 * before the platform's router sees them; every other upgrade goes on to the
 * platform's listeners. Same admission as the `/ws` route (`Admission`), same
 * `ConnectionServer` — but no request fiber, request object, router match or
 * response per connect. That is about a quarter of a connect's CPU, and the
 * garbage it leaves made up a quarter of an idle connection's RSS (`npm run bench`, idle).
 * Call it after the platform started serving (its listener must be there to be passed on).
 */
export const install = (
  node: Server
): Effect.Effect<void, never, Lifecycle | Auth | UpgradeLimits | WebSocketAcceptor | ConnectionServer | Scope.Scope> =>
  Effect.gen(function*() {
    const lifecycle = yield* Lifecycle
    const auth = yield* Auth
    const limits = yield* UpgradeLimits
    const acceptor = yield* WebSocketAcceptor
    const connections = yield* ConnectionServer
    const run = Runtime.runFork(yield* Effect.runtime<never>())
    const platform = node.listeners("upgrade") as Array<UpgradeListener>
    const onUpgrade: UpgradeListener = (request, socket, head) => {
      guardUpgrade(socket)
      const url = request.url ?? "/"
      if (!isWebSocketUrl(url)) {
        for (const listener of platform) listener.call(node, request, socket, head)
        return
      }
      const admitted = admit(lifecycle, auth, request.headers, url, limits, socket.remoteAddress)
      if (Either.isLeft(admitted)) return refuse(socket, admitted.left)
      const { expiresAt, userId } = admitted.right
      const shared = limits.reserveShared
      if (shared === undefined) return accept(request, socket, head, userId, expiresAt)
      // cluster mode: the user's connections on every node, before the handshake
      run(Effect.flatMap(shared(userId), (refused) =>
        Effect.sync(() => refused === undefined ? accept(request, socket, head, userId, expiresAt) : refuse(socket, refused))))
    }
    // no fiber of its own: a connect whose session is had at once (in memory) is set up before this returns;
    // a peer that left during the handshake needs no answer, only its slot back
    const accept = (request: IncomingMessage, socket: Socket, head: Buffer, userId: string, expiresAt: number): void =>
      acceptor.acceptUpgradeNow(request, socket, head, (ws) => {
        limits.holdSocket(userId, ws)
        // (a throw in the set-up ends only this connection: `serveNow` catches it)
        connections.serveNow(ws, userId, expiresAt)
      }, () => limits.give(userId))
    yield* Effect.acquireRelease(
      Effect.sync(() => {
        for (const listener of platform) node.off("upgrade", listener)
        node.on("upgrade", onUpgrade)
      }),
      () =>
        Effect.sync(() => {
          node.off("upgrade", onUpgrade)
          for (const listener of platform) node.on("upgrade", listener)
        })
    )
  })

/** Answers a refused upgrade with the JSON the `/ws` route would send, and closes the socket. */
const refuse = (socket: Socket, refusal: Refusal): void => {
  const body = JSON.stringify({ error: refusal.error })
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n` +
      "Content-Type: application/json\r\n" +
      (refusal.retryAfterS === undefined ? "" : `Retry-After: ${refusal.retryAfterS}\r\n`) +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      "Connection: close\r\n\r\n" +
      body
  )
}
