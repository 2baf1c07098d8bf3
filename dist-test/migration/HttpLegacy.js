import { HttpClient, HttpClientRequest } from "@effect/platform";
import { Data, Duration, Effect, Either, ParseResult, Schedule, Schema } from "effect";
import { FrameError } from "../protocol/FrameError.js";
import { CurrentFrame } from "../router/FrameContext.js";
import * as Handler from "../router/Handler.js";
import { UserContext } from "../session/UserContext.js";
import { deliverAfterReply, toAckResult } from "./Legacy.js";
class LegacyBackendError extends Data.TaggedError("LegacyBackendError") {
  get message() {
    switch (this.reason) {
      case "Transport":
        return `legacy backend unreachable: ${this.detail}`;
      case "Timeout":
        return `legacy backend did not answer: ${this.detail}`;
      case "Status":
        return `legacy backend answered HTTP ${this.status}`;
      case "InvalidBody":
        return `legacy backend answered an invalid body: ${this.detail}`;
    }
  }
}
const LegacyEvent = Schema.Struct({
  type: Schema.String,
  payload: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.Unknown }), {
    default: () => ({})
  }),
  run_id: Schema.optional(Schema.String)
});
const LegacyResponse = Schema.Struct({
  result: Schema.optional(Schema.Unknown),
  events: Schema.optionalWith(Schema.Array(LegacyEvent), { default: () => [] })
});
const decodeResponse = Schema.decodeUnknownEither(LegacyResponse);
const TRANSIENT_STATUS = /* @__PURE__ */ new Set([408, 429, 500, 502, 503, 504]);
const isTransient = (error) => error.reason === "Transport" || error.reason === "Timeout" || error.reason === "Status" && error.status !== void 0 && TRANSIENT_STATUS.has(error.status);
const call = (options, body) => Effect.gen(function* () {
  const client = yield* HttpClient.HttpClient;
  const request = HttpClientRequest.post(options.url).pipe(HttpClientRequest.bodyUnsafeJson(body));
  const attempt = client.execute(request).pipe(
    Effect.mapError(
      (error) => new LegacyBackendError({
        reason: error._tag === "RequestError" && error.reason === "Transport" ? "Transport" : "InvalidBody",
        detail: error.message
      })
    ),
    Effect.flatMap(
      (response) => response.status >= 200 && response.status < 300 ? Effect.mapError(response.json, (error) => new LegacyBackendError({ reason: "InvalidBody", detail: error.message })) : Effect.fail(new LegacyBackendError({ reason: "Status", status: response.status, detail: `HTTP ${response.status}` }))
    ),
    Effect.timeoutFail({
      duration: Duration.millis(options.timeoutMs),
      onTimeout: () => new LegacyBackendError({ reason: "Timeout", detail: `no answer within ${options.timeoutMs} ms` })
    })
  );
  const json = yield* Effect.retry(attempt, {
    schedule: Schedule.exponential(Duration.millis(options.backoffMs ?? 50)).pipe(Schedule.jittered),
    times: Math.max(0, options.retries),
    while: isTransient
  });
  const decoded = decodeResponse(json);
  if (Either.isLeft(decoded)) {
    return yield* new LegacyBackendError({
      reason: "InvalidBody",
      detail: ParseResult.TreeFormatter.formatErrorSync(decoded.left)
    });
  }
  return decoded.right;
});
const toFrameError = (error) => error.reason === "Timeout" ? new FrameError({ code: "TIMEOUT", message: error.message }) : FrameError.handlerFailed(
  error.message,
  error.status === void 0 ? { reason: error.reason } : { reason: error.reason, status: error.status }
);
const toStreamEvent = (event) => {
  const nested = event.payload["run_id"];
  const runId = event.run_id ?? (typeof nested === "string" ? nested : void 0);
  return runId === void 0 ? { type: event.type, payload: event.payload } : {
    type: event.type,
    run_id: runId,
    payload: event.payload
  };
};
const handler = (type, options) => Handler.make(type, {
  payload: Schema.Unknown,
  handle: (payload) => Effect.gen(function* () {
    const user = yield* UserContext;
    const frame = yield* CurrentFrame;
    const response = yield* call(options, { user_id: user.userId, type, id: frame.id ?? null, payload }).pipe(
      Effect.mapError(toFrameError)
    );
    yield* deliverAfterReply(response.events.map(toStreamEvent));
    return toAckResult(response.result);
  })
});
export {
  LegacyBackendError,
  LegacyResponse,
  call,
  handler,
  isTransient,
  toFrameError
};
//# sourceMappingURL=HttpLegacy.js.map
