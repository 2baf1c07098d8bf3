import { Either } from "effect"
import type { LifecycleState } from "../state/Lifecycle.js"
import type { Auth, Headers, Principal } from "./Auth.js"
import type { Refusal } from "./Refusal.js"
import type { UpgradeLimits } from "./UpgradeLimits.js"

/**
 * Who may open a WebSocket at `/ws` (PROTOCOL §2): decided once, whichever
 * path the upgrade takes — the `/ws` route, or the Node server's upgrade
 * event (`DirectUpgrade`).
 */

/** A request for `/ws`, with or without a query. */
export const isWebSocketUrl = (url: string): boolean => url === "/ws" || url.startsWith("/ws?")

/**
 * Who an upgrade request is for (user and token expiry), or why it is refused
 * (a draining node, a foreign origin, a bad token, no upgrade, a limit).
 * Admitted, it holds one of the user's connection slots: run its handshake in `limits.hold` (the `/ws`
 * route), or hold the socket with `limits.holdSocket` and give the slot back on an abort (`DirectUpgrade`).
 */
export const admit = (
  lifecycle: LifecycleState,
  auth: Auth,
  headers: Headers,
  url: string,
  limits: UpgradeLimits,
  address: string | undefined
): Either.Either<Principal, Refusal> => {
  if (lifecycle.draining) return Either.left({ status: 503, error: "draining: reconnect to another node" })
  // before the token: a flood from one address is turned away before any work on it
  const throttled = limits.attempt(address)
  if (throttled !== undefined) return Either.left(throttled)
  if (!auth.allowsOrigin(headers)) return Either.left({ status: 403, error: "origin not allowed (ALLOWED_ORIGINS)" })
  const principal = auth.authenticate(headers, url)
  if (Either.isLeft(principal)) return Either.left({ status: 401, error: principal.left.message })
  if (!isUpgrade(headers)) return Either.left({ status: 426, error: "expected a WebSocket upgrade" })
  const full = limits.reserve(principal.right.userId)
  if (full !== undefined) return Either.left(full)
  return Either.right(principal.right)
}

/**
 * `Upgrade: websocket` with `Connection: upgrade`. Without the latter Node
 * does not take the request as an upgrade and keeps parsing its socket as
 * HTTP, so ws cannot take the socket over.
 */
const isUpgrade = (headers: Headers): boolean =>
  header(headers, "upgrade").toLowerCase() === "websocket" &&
  header(headers, "connection").toLowerCase().split(",").some((token) => token.trim() === "upgrade")

const header = (headers: Headers, name: string): string => {
  const value = headers[name]
  return typeof value === "string" ? value : ""
}
