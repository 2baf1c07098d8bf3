/**
 * JSON Web Tokens, HS256 only, with `node:crypto` (no library: the subset the
 * service needs is small, and a small surface is easier to get right).
 */
import { Clock, Data, Effect, Either } from "effect"
import { createHmac, timingSafeEqual } from "node:crypto"

/**
 * The fixed development secret used when `JWT_SECRET` is unset (PROTOCOL §2).
 * Public by design: anyone can mint tokens for it, so production refuses it.
 */
export const DEVELOPMENT_SECRET = "switchyard-development-secret-do-not-use-in-production"

/**
 * How far apart the issuer's clock and ours may be (PROTOCOL §2): a token is
 * still taken up to this long after its `exp`, and this long before its `nbf`.
 */
export const CLOCK_LEEWAY_S = 30

/** The verified claims the service uses. `exp` is required: a token that never expires is refused. */
export interface Claims {
  readonly sub: string
  readonly roles: ReadonlyArray<string>
  /** expiry, seconds since the epoch */
  readonly exp: number
}

/** Why a token was refused. `NotYetValid`: its `nbf` is in the future. */
export type JwtErrorReason =
  | "Malformed"
  | "BadSignature"
  | "Expired"
  | "MissingExpiry"
  | "NotYetValid"
  | "MissingSubject"
  | "UnsupportedAlgorithm"

/** A refused token. The message never echoes the token. */
export class JwtError extends Data.TaggedError("JwtError")<{
  readonly reason: JwtErrorReason
}> {
  override get message(): string {
    switch (this.reason) {
      case "Malformed":
        return "JWT rejected: malformed token"
      case "BadSignature":
        return "JWT rejected: bad signature"
      case "Expired":
        return "JWT rejected: expired"
      case "MissingExpiry":
        return "JWT rejected: missing expiry (exp)"
      case "NotYetValid":
        return "JWT rejected: not valid yet (nbf)"
      case "MissingSubject":
        return "JWT rejected: missing subject (sub)"
      case "UnsupportedAlgorithm":
        return "JWT rejected: unsupported algorithm (only HS256)"
    }
  }
}

const base64url = (input: string): string => Buffer.from(input, "utf8").toString("base64url")

const hmac = (signingInput: string, secret: string): Buffer =>
  createHmac("sha256", secret).update(signingInput).digest()

// `Buffer.from(_, "base64url")` silently skips junk, so check the alphabet first
const SEGMENT = /^[A-Za-z0-9_-]+$/

const decodeJson = (segment: string): unknown => {
  try {
    return JSON.parse(Buffer.from(segment, "base64url").toString("utf8"))
  } catch {
    return undefined
  }
}

const isObject = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const isNumericDate = (u: unknown): u is number => typeof u === "number" && Number.isFinite(u)

const reject = (reason: JwtErrorReason): Either.Either<Claims, JwtError> => Either.left(new JwtError({ reason }))

/**
 * Signs `claims` as an HS256 JWT. The caller sets `sub`, `roles`, `exp`…;
 * `undefined` values are left out, as in `JSON.stringify`.
 */
export const sign = (claims: Readonly<Record<string, unknown>>, secret: string): string => {
  const signingInput = `${base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${base64url(JSON.stringify(claims))}`
  return `${signingInput}.${hmac(signingInput, secret).toString("base64url")}`
}

/**
 * Verifies an HS256 JWT: the algorithm (never `none`), the signature in
 * constant time, a required `exp` (expired when `exp + leeway <= nowSeconds`)
 * and an optional `nbf` (not yet valid when `nbf - leeway > nowSeconds`), a
 * non-empty string `sub`; `roles` keeps only its strings. Synchronous and
 * never throws: it runs on every upgrade.
 */
export const verify = (
  token: string,
  secret: string,
  nowSeconds: number,
  leewaySeconds: number = CLOCK_LEEWAY_S
): Either.Either<Claims, JwtError> => {
  const parts = token.split(".")
  if (parts.length !== 3 || !parts.every((part) => SEGMENT.test(part))) return reject("Malformed")
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string]

  const header = decodeJson(headerPart)
  if (!isObject(header)) return reject("Malformed")
  // pinned, not read from the header: this is what stops `alg: none` and key confusion
  if (header["alg"] !== "HS256") return reject("UnsupportedAlgorithm")

  // authenticate before trusting anything in the payload
  const expected = hmac(`${headerPart}.${payloadPart}`, secret)
  const given = Buffer.from(signaturePart, "base64url")
  // timingSafeEqual needs equal lengths; the length of an HS256 MAC is public anyway
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return reject("BadSignature")

  const payload = decodeJson(payloadPart)
  if (!isObject(payload)) return reject("Malformed")
  const exp = payload["exp"]
  // a token without an expiry would be a credential for ever (PROTOCOL §2: exp is required)
  if (exp === undefined) return reject("MissingExpiry")
  if (!isNumericDate(exp)) return reject("Malformed")
  if (exp + leewaySeconds <= nowSeconds) return reject("Expired")
  const nbf = payload["nbf"]
  if (nbf !== undefined && !isNumericDate(nbf)) return reject("Malformed")
  if (nbf !== undefined && nbf - leewaySeconds > nowSeconds) return reject("NotYetValid")
  const sub = payload["sub"]
  if (typeof sub !== "string" || sub.length === 0) return reject("MissingSubject")
  const rawRoles = payload["roles"]
  const roles = Array.isArray(rawRoles) ? rawRoles.filter((role): role is string => typeof role === "string") : []
  return Either.right({ sub, roles, exp })
}

/** `verify` as an Effect, reading the time from `Clock` (so `TestClock` drives it). */
export const verifyEffect = (token: string, secret: string): Effect.Effect<Claims, JwtError> =>
  Effect.flatMap(Clock.currentTimeMillis, (millis) => verify(token, secret, Math.floor(millis / 1000)))
