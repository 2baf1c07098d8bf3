import { Data, Effect, Either, Redacted } from "effect"
import type { Headers } from "./Headers.js"
import * as Jwt from "./Jwt.js"
import { isLoopback, LOOPBACK_DESCRIPTION } from "./Loopback.js"
import { allowsOrigin } from "./OriginPolicy.js"
import { ServerSettings } from "./ServerSettings.js"

export type { Headers } from "./Headers.js"

/** Who a request is: the token's `sub` and `roles`, and until when (PROTOCOL §2). */
export interface Principal {
  readonly userId: string
  readonly roles: ReadonlyArray<string>
  /** the token's `exp`, seconds since the epoch: a connection it opened is closed then (4001) */
  readonly expiresAt: number
}

/** Why a request is not authenticated: it gets HTTP 401. */
export class Unauthenticated extends Data.TaggedError("Unauthenticated")<{
  readonly reason: "MissingToken" | Jwt.JwtError["reason"]
}> {
  override get message(): string {
    return this.reason === "MissingToken" ? "missing bearer token" : `invalid token: ${this.reason}`
  }
}

/** An authenticated request whose token lacks the role it needs: it gets HTTP 403. */
export class Forbidden extends Data.TaggedError("Forbidden")<{
  readonly role: string
}> {
  override get message(): string {
    return `the token lacks the "${this.role}" role`
  }
}

/** The principal, if its token's `roles` claim contains `role` (PROTOCOL §2: admin endpoints need "admin"). */
export const requireRole = (principal: Principal, role: string): Either.Either<Principal, Forbidden> =>
  principal.roles.includes(role) ? Either.right(principal) : Either.left(new Forbidden({ role }))

/** `NODE_ENV=production` without `JWT_SECRET`: the service refuses to start. */
export class MissingSecretError extends Data.TaggedError("MissingSecretError")<{}> {
  override get message(): string {
    return "JWT_SECRET must be set when NODE_ENV=production (refusing to start with the development secret)"
  }
}

/**
 * The loud warning of development mode: what is open, and to whom. `POST
 * /dev/token` answers loopback only, but the secret is public: whoever reaches
 * the service can sign tokens, so a non-loopback bind is called out.
 */
export const developmentWarning = (host: string, port: number): string =>
  "!!! JWT_SECRET is not set: DEVELOPMENT MODE, tokens are signed with the public development secret. " +
  "Never run like this in production (set JWT_SECRET). " +
  `POST /dev/token hands out tokens (admin too) to clients on this machine only (${LOOPBACK_DESCRIPTION}). ` +
  (isLoopback(host) || host === "localhost"
    ? `The service listens on ${host}:${port}, reachable from this machine only. `
    : `The service listens on ${host}:${port}, REACHABLE FROM OTHER MACHINES, which can sign their own tokens ` +
      "with the public secret: set HOST=127.0.0.1 to keep it on this machine. ") +
  "Mint a token: npm run token -- <user>"


/**
 * Verifies the JWT of an HTTP request (upgrade or admin call). `Auth.Default`:
 * with `JWT_SECRET`, or the development secret and a loud warning.
 */
export class Auth extends Effect.Service<Auth>()("switchyard/Auth", {
  effect: Effect.gen(function*() {
    const config = yield* ServerSettings
    if (config.jwtSecret === undefined && config.production) return yield* new MissingSecretError()
    if (config.jwtSecret === undefined) {
      yield* Effect.logWarning(developmentWarning(config.host, config.port))
    }
    const secret = config.jwtSecret === undefined ? Jwt.DEVELOPMENT_SECRET : Redacted.value(config.jwtSecret)
    // the service's clock (a TestClock in tests), read synchronously: authenticate runs on every upgrade
    const clock = yield* Effect.clock
    const origins = config.allowedOrigins === undefined ? undefined : new Set(config.allowedOrigins)
    return {
      /** Is an upgrade with these headers from a browser origin `ALLOWED_ORIGINS` lets in (or from no browser)? */
      allowsOrigin: (headers: Headers): boolean => allowsOrigin(origins, headers),
      /** Authenticates from `Authorization: Bearer <jwt>` or the `access_token` query parameter. */
      authenticate: (headers: Headers, url: string): Either.Either<Principal, Unauthenticated> => {
        const token = bearerToken(headers["authorization"]) ?? queryToken(url)
        if (token === undefined) return Either.left(new Unauthenticated({ reason: "MissingToken" }))
        return Either.match(Jwt.verify(token, secret, Math.floor(clock.unsafeCurrentTimeMillis() / 1000)), {
          onLeft: (error) => Either.left(new Unauthenticated({ reason: error.reason })),
          onRight: (claims) => Either.right({ userId: claims.sub, roles: claims.roles, expiresAt: claims.exp })
        })
      }
    }
  })
}) {}

const bearerToken = (header: string | ReadonlyArray<string> | undefined): string | undefined => {
  if (typeof header !== "string") return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match?.[1]
}

/**
 * Does a request's URL carry a token (`?access_token=`)? Such a request gets
 * no server span: its `url.full` and `url.query` attributes would ship the
 * token to any tracing backend.
 */
export const hasQueryToken = (url: string): boolean => queryToken(url) !== undefined

const queryToken = (url: string): string | undefined => {
  const query = url.indexOf("?")
  if (query < 0) return undefined
  const token = new URLSearchParams(url.slice(query + 1)).get("access_token")
  return token === null || token === "" ? undefined : token
}
