import type { HttpServerRequest } from "@effect/platform"
import { Effect, Either } from "effect"
import { Lifecycle } from "../state/Lifecycle.js"
import { admit } from "./Admission.js"
import { Auth } from "./Auth.js"
import type { Refusal } from "./Refusal.js"
import { ConnectionServer } from "./ServeConnection.js"
import { UpgradeLimits } from "./UpgradeLimits.js"
import { type UpgradeError, WebSocketAcceptor } from "./WebSocketAcceptor.js"

/**
 * An upgrade that reached the `/ws` route (Switchyard served on an app's own
 * `HttpServer`; when the service owns its Node server, `DirectUpgrade` takes
 * upgrades before any route): admit, in cluster mode ask for the user's slot
 * on every node, then accept and serve the socket. Answers the refusal, if
 * any, for the route to write.
 *
 * From the slot taken to the slot held nothing may interrupt: the route's
 * fiber is interrupted when its socket closes, and a slot taken but never
 * held (or given back) would be lost for good.
 */
export const serveRouteUpgrade = (
  request: HttpServerRequest.HttpServerRequest,
  address: string | undefined
): Effect.Effect<Refusal | undefined, UpgradeError, Lifecycle | Auth | UpgradeLimits | WebSocketAcceptor | ConnectionServer> =>
  Effect.gen(function*() {
    const limits = yield* UpgradeLimits
    const acceptor = yield* WebSocketAcceptor
    const lifecycle = yield* Lifecycle
    const auth = yield* Auth
    const server = yield* ConnectionServer
    return yield* Effect.uninterruptibleMask((restore) => {
      const admitted = admit(lifecycle, auth, request.headers, request.url, limits, address)
      if (Either.isLeft(admitted)) return Effect.succeed(admitted.left)
      const { expiresAt, userId } = admitted.right
      // cluster mode: the user's connections on every node, before the handshake (bounded by Redis's command timeouts)
      const shared = limits.reserveShared === undefined ? Effect.succeed(undefined) : limits.reserveShared(userId)
      return Effect.flatMap(shared, (refused): Effect.Effect<Refusal | undefined, UpgradeError> =>
        refused !== undefined
          ? Effect.succeed(refused)
          : Effect.as(
            Effect.flatMap(limits.hold(userId, restore(acceptor.accept(request))), (ws) =>
              restore(server.serve(ws, userId, expiresAt))),
            undefined
          ))
    })
  })
