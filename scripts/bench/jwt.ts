import { createHmac, timingSafeEqual } from "node:crypto"

/**
 * Minimal HS256 JWTs for the bench: the load generator mints tokens with the
 * secret it gives the servers, the baseline server verifies them (the work
 * any authenticating server must do on upgrade).
 */

const base64url = (data: string | Buffer): string => Buffer.from(data).toString("base64url")

const signature = (signingInput: string, secret: string): Buffer =>
  createHmac("sha256", secret).update(signingInput).digest()

/** A signed token for `sub`, valid for `ttlSeconds`. */
export const signToken = (sub: string, secret: string, ttlSeconds = 3600): string => {
  const now = Math.floor(Date.now() / 1000)
  const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))
  const payload = base64url(JSON.stringify({ sub, iat: now, exp: now + ttlSeconds }))
  const input = `${header}.${payload}`
  return `${input}.${signature(input, secret).toString("base64url")}`
}

/** The `sub` of a valid HS256 token with an `exp` not yet passed; undefined otherwise. */
export const verifyToken = (token: string, secret: string, nowSeconds = Date.now() / 1000): string | undefined => {
  const parts = token.split(".")
  if (parts.length !== 3) return undefined
  const [header, payload, sig] = parts as [string, string, string]
  const expected = signature(`${header}.${payload}`, secret)
  const actual = Buffer.from(sig, "base64url")
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined
  let claims: unknown
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"))
  } catch {
    return undefined
  }
  if (typeof claims !== "object" || claims === null) return undefined
  const sub: unknown = Reflect.get(claims, "sub")
  const exp: unknown = Reflect.get(claims, "exp")
  if (typeof sub !== "string" || sub.length === 0) return undefined
  // PROTOCOL §2: exp is required, with 30 s of clock leeway
  if (typeof exp !== "number" || exp + 30 <= nowSeconds) return undefined
  return sub
}
