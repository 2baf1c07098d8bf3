import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Schedule, Stream } from "effect"
import { ServerSettings } from "../transport/ServerSettings.js"
import { DashboardFeed, SAMPLE_INTERVAL_MS, WINDOW_SAMPLES } from "./DashboardFeed.js"
import { SERVER_VERSION } from "../transport/ServeConnection.js"
import { page, pageSecurityPolicy } from "./DashboardPage.js"
import * as DashboardScript from "./DashboardScript.js"
import * as DevToken from "./DevToken.js"
import { isLoopback } from "../transport/Loopback.js"
import { socketAddress } from "../transport/PeerAddress.js"

/** How often an idle event stream sends a comment, so proxies keep it open. */
const KEEPALIVE_MS = 15_000

/** One server-sent event. */
const sse = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

/** `GET /`: the dashboard page, one self-contained HTML document. */
const index = Effect.succeed(
  HttpServerResponse.html(page).pipe(
    HttpServerResponse.setHeaders({
      "content-security-policy": pageSecurityPolicy,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff"
    })
  )
)

/** What a dashboard learns once, before the samples. `dev_tokens`: may this viewer ask for one (development mode, on loopback)? */
const helloOf = Effect.zipWith(ServerSettings, HttpServerRequest.HttpServerRequest, (config, request) => ({
  version: SERVER_VERSION,
  node_id: config.nodeId,
  dev_tokens: DevToken.isDevelopment(config) && isLoopback(socketAddress(request)),
  sample_interval_ms: SAMPLE_INTERVAL_MS,
  window_s: WINDOW_SAMPLES
}))

/**
 * `GET /dashboard/events`: server-sent events — `hello` (settings and the
 * recent history), then one `sample` a second. Aggregates only: no user id
 * or per-user number is ever in it, so it needs no token; past `MAX_VIEWERS`
 * watching at once it answers `503`.
 */
const events = Effect.gen(function*() {
  const feed = yield* DashboardFeed
  if (!(yield* feed.hasRoom)) {
    return HttpServerResponse.unsafeJson({ error: "too many dashboards are watching: retry later" }, {
      status: 503,
      headers: { "retry-after": "10" }
    })
  }
  const hello = yield* helloOf
  const body = Stream.unwrapScoped(Effect.map(feed.subscribe, ({ history, live }) =>
    Stream.concat(
      Stream.make(sse("hello", { ...hello, history })),
      Stream.map(live, (sample) => sse("sample", sample))
    ).pipe(
      // the stream ends with the feed (service stopping); the keep-alive must not outlive it
      Stream.merge(Stream.repeatEffectWithSchedule(Effect.succeed(": keepalive\n\n"), Schedule.spaced(KEEPALIVE_MS)), {
        haltStrategy: "left"
      })
    )))
  return HttpServerResponse.stream(Stream.encodeText(body), {
    contentType: "text/event-stream",
    headers: { "cache-control": "no-store", "x-accel-buffering": "no" }
  })
})

/** `GET /dashboard/snapshot`: the latest sample as JSON (for scripts, and what `events` streams). */
const snapshot = Effect.gen(function*() {
  const feed = yield* DashboardFeed
  return HttpServerResponse.unsafeJson(
    { ...(yield* helloOf), sample: yield* feed.latest },
    { headers: { "cache-control": "no-store" } }
  )
})

/** The dashboard's routes: the page, its live feed, its chat panel's script, and development tokens for the chat. */
export const routes = HttpRouter.empty.pipe(
  HttpRouter.get("/", index),
  HttpRouter.get("/dashboard/events", events),
  HttpRouter.get("/dashboard/snapshot", snapshot),
  HttpRouter.get("/dashboard/chat.js", DashboardScript.serve),
  HttpRouter.post("/dev/token", DevToken.mint)
)
