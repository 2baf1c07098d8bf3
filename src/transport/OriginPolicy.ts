import type { Headers } from "./Headers.js"

/**
 * Which browser pages may open a WebSocket (PROTOCOL §2, `ALLOWED_ORIGINS`).
 * A browser sends cookies and a page's `access_token` along to any site a page
 * points it at, so an upgrade from a page of a foreign origin is refused (403,
 * cross-site WebSocket hijacking). An upgrade without `Origin` is not from a
 * browser: its token alone decides.
 */

/** Is an upgrade with these headers from an allowed origin? `undefined`: no list, every origin is. */
export const allowsOrigin = (allowed: ReadonlySet<string> | undefined, headers: Headers): boolean => {
  if (allowed === undefined) return true
  const origin = headers["origin"]
  if (origin === undefined) return true
  // a repeated header arrives as a list: not one origin, so not an allowed one
  return typeof origin === "string" && allowed.has(origin.toLowerCase())
}

/**
 * An origin as browsers serialize it (`https://app.example.com`, lower case,
 * no default port, no path), or `undefined` for what is not one. Used on the
 * configured list, so `https://App.example.com/` matches what browsers send.
 */
export const normalizeOrigin = (origin: string): string | undefined => {
  try {
    const url = new URL(origin)
    if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") return undefined
    // special schemes (http, https) serialize their origin; others (an extension's page) are taken as written
    if (url.origin !== "null") return url.pathname === "/" ? url.origin.toLowerCase() : undefined
    return /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]+$/i.test(origin) ? origin.toLowerCase() : undefined
  } catch {
    return undefined
  }
}
