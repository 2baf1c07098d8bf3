import { Effect, Metric } from "effect";
import { ClientErrorReport, EmptyPayload } from "../protocol/Payloads.js";
import { CurrentConnection, CurrentFrame } from "../router/FrameContext.js";
import * as Handler from "../router/Handler.js";
import { CloseCode } from "../protocol/ErrorCode.js";
import * as Metrics from "../observability/Metrics.js";
const ping = Handler.make("ping", {
  payload: EmptyPayload,
  reply: "pong",
  handle: () => Effect.succeed({})
});
const clientError = Handler.make("error", {
  payload: ClientErrorReport,
  handle: ({ details, message }) => Effect.logWarning("client reported an error", { message, details }).pipe(
    Effect.zipRight(Metric.increment(Metrics.clientErrors)),
    Effect.as({})
  )
});
const disconnect = Handler.make("disconnect", {
  payload: EmptyPayload,
  batchable: false,
  handle: () => Effect.gen(function* () {
    const connection = yield* CurrentConnection;
    const frame = yield* CurrentFrame;
    frame.onReplied(() => connection.close(CloseCode.normal, "client asked to disconnect"));
    return {};
  })
});
export {
  clientError,
  disconnect,
  ping
};
//# sourceMappingURL=Control.js.map
