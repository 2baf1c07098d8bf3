import { HttpRouter, HttpServerResponse } from "@effect/platform";
import { Effect, Schedule, Stream } from "effect";
import { SwitchyardConfig } from "../Config.js";
import { DashboardFeed, SAMPLE_INTERVAL_MS, WINDOW_SAMPLES } from "../observability/DashboardFeed.js";
import { SERVER_VERSION } from "../session/ServeConnection.js";
import { page, pageSecurityPolicy } from "./DashboardPage.js";
import * as DevToken from "./DevToken.js";
const KEEPALIVE_MS = 15e3;
const sse = (event, data) => `event: ${event}
data: ${JSON.stringify(data)}

`;
const index = Effect.succeed(
  HttpServerResponse.html(page).pipe(
    HttpServerResponse.setHeaders({
      "content-security-policy": pageSecurityPolicy,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff"
    })
  )
);
const helloOf = Effect.map(SwitchyardConfig, (config) => ({
  version: SERVER_VERSION,
  node_id: config.nodeId,
  dev_tokens: DevToken.isDevelopment(config),
  sample_interval_ms: SAMPLE_INTERVAL_MS,
  window_s: WINDOW_SAMPLES
}));
const events = Effect.gen(function* () {
  const feed = yield* DashboardFeed;
  const hello = yield* helloOf;
  const body = Stream.unwrapScoped(Effect.map(feed.subscribe, ({ history, live }) => Stream.concat(
    Stream.make(sse("hello", { ...hello, history })),
    Stream.map(live, (sample) => sse("sample", sample))
  ).pipe(
    // the stream ends with the feed (service stopping); the keep-alive must not outlive it
    Stream.merge(Stream.repeatEffectWithSchedule(Effect.succeed(": keepalive\n\n"), Schedule.spaced(KEEPALIVE_MS)), {
      haltStrategy: "left"
    })
  )));
  return HttpServerResponse.stream(Stream.encodeText(body), {
    contentType: "text/event-stream",
    headers: { "cache-control": "no-store", "x-accel-buffering": "no" }
  });
});
const snapshot = Effect.gen(function* () {
  const feed = yield* DashboardFeed;
  return HttpServerResponse.unsafeJson(
    { ...yield* helloOf, sample: yield* feed.latest },
    { headers: { "cache-control": "no-store" } }
  );
});
const routes = HttpRouter.empty.pipe(
  HttpRouter.get("/", index),
  HttpRouter.get("/dashboard/events", events),
  HttpRouter.get("/dashboard/snapshot", snapshot),
  HttpRouter.post("/dev/token", DevToken.mint)
);
export {
  routes
};
//# sourceMappingURL=Dashboard.js.map
