import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Clock, Effect } from "effect"
import { randomBytes } from "node:crypto"
import * as Jwt from "../transport/Jwt.js"
import { ServerSettings } from "../transport/ServerSettings.js"
import { isLoopback, LOOPBACK_DESCRIPTION } from "../transport/Loopback.js"
import { socketAddress } from "../transport/PeerAddress.js"

/** How long a development token lives. */
export const DEV_TOKEN_TTL_S = 60 * 60

/**
 * Development mode (PROTOCOL §2): no `JWT_SECRET` and not production. Only
 * then are tokens signed with the public development secret, so only then may
 * the service hand them out — anyone could mint them with `npm run token` anyway.
 */
export const isDevelopment = (config: ServerSettings["Type"]): boolean => config.jwtSecret === undefined && !config.production

// what a user id minted here may look like: short, printable, no surprises in logs or URLs
const USER = /^[A-Za-z0-9._@-]{1,64}$/

/**
 * `POST /dev/token?user=<id>&admin=1`: a development token for the dashboard's
 * chat panel (`user` defaults to a fresh `dashboard-…` id; `admin=1` adds the
 * admin role, for the migration controls). `404` outside development mode and
 * to any client not on loopback (PROTOCOL §1: a development server bound to
 * `0.0.0.0` must not hand admin tokens to the network), `400` for a bad user id.
 */
export const mint = Effect.gen(function*() {
  const config = yield* ServerSettings
  if (!isDevelopment(config)) {
    return HttpServerResponse.unsafeJson(
      { error: "development tokens exist only in development mode (JWT_SECRET unset, NODE_ENV not production)" },
      { status: 404 }
    )
  }
  const request = yield* HttpServerRequest.HttpServerRequest
  if (!isLoopback(socketAddress(request))) {
    return HttpServerResponse.unsafeJson(
      { error: `development tokens are served to clients on this machine only (${LOOPBACK_DESCRIPTION})` },
      { status: 404 }
    )
  }
  const query = new URLSearchParams(request.url.includes("?") ? request.url.slice(request.url.indexOf("?") + 1) : "")
  const user = query.get("user") ?? `dashboard-${randomBytes(4).toString("hex")}`
  if (!USER.test(user)) {
    return HttpServerResponse.unsafeJson({ error: "user: 1-64 characters of A-Z a-z 0-9 . _ @ -" }, { status: 400 })
  }
  const roles = query.get("admin") === "1" ? ["admin"] : []
  const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
  const token = Jwt.sign({ sub: user, roles, iat: now, exp: now + DEV_TOKEN_TTL_S }, Jwt.DEVELOPMENT_SECRET)
  return HttpServerResponse.unsafeJson(
    { token, user_id: user, roles, expires_at: new Date((now + DEV_TOKEN_TTL_S) * 1000).toISOString() },
    { headers: { "cache-control": "no-store" } }
  )
})
