import { Duration, Effect } from "effect"
import { type Disconnect, fromRefusalStatus } from "./Disconnect.js"

/**
 * Why a WebSocket did not open. A refused upgrade is an HTTP answer (PROTOCOL
 * §9: 401 bad token, 403 foreign origin, 429, 503, each with a JSON body
 * `{error}`), but a browser's WebSocket shows none of it — only "error" and
 * close 1006, exactly as when the network is down. The service admits a plain
 * GET of the same URL the same way and answers it 426 when it would have
 * upgraded, so the client asks that and maps the status. (From another origin
 * a browser hides that answer too, unless the service allows it by CORS; the
 * client then sees `Unreachable` and keeps retrying on its schedule.)
 */
export const probe = (wsUrl: string, timeout: Duration.DurationInput): Effect.Effect<Disconnect> =>
  typeof globalThis.fetch !== "function"
    ? Effect.succeed({ reason: "Unreachable" })
    : Effect.tryPromise({
      try: async (signal) => {
        const response = await globalThis.fetch(httpUrl(wsUrl), {
          signal,
          cache: "no-store",
          credentials: "omit",
          // the URL carries the token: it goes to this server only, never where a redirect points
          redirect: "manual"
        })
        // the body is not needed: the status says it all
        await response.body?.cancel().catch(() => undefined)
        return response
      },
      catch: () => "unanswered" as const
    }).pipe(
      Effect.timeout(timeout),
      Effect.map((response): Disconnect => {
        const retryAfterS = Number(response.headers.get("retry-after") ?? Number.NaN)
        const reason = fromRefusalStatus(response.status)
        return Number.isFinite(retryAfterS) && retryAfterS >= 0
          ? { reason, retryAfterMs: retryAfterS * 1000 }
          : { reason }
      }),
      Effect.orElseSucceed((): Disconnect => ({ reason: "Unreachable" }))
    )

/** The same URL over HTTP(S): `ws:` → `http:`, `wss:` → `https:`. */
export const httpUrl = (wsUrl: string): string => wsUrl.replace(/^ws(s?):/i, "http$1:")
