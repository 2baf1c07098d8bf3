import { Cause, Duration, Effect, Option } from "effect";
import { FrameError } from "../protocol/FrameError.js";
import { CircuitOpenError } from "../router/CircuitBreaker.js";
const withTimeout = (duration, what = "the handler") => (self) => Effect.timeoutFail(self, {
  duration,
  onTimeout: () => new FrameError({
    code: "TIMEOUT",
    message: `${what} did not answer within ${Duration.format(Duration.decode(duration))}`
  })
});
const clientCodes = /* @__PURE__ */ new Set([
  "INVALID_JSON",
  "INVALID_FRAME",
  "INVALID_MESSAGE",
  "UNKNOWN_TYPE",
  "NOT_FOUND",
  "RATE_LIMITED"
]);
const isClientError = (error) => error instanceof FrameError && clientCodes.has(error.code);
const isImplementationFailure = (cause) => {
  if (Cause.isInterruptedOnly(cause)) return false;
  if (Cause.isDie(cause)) return true;
  const failure = Cause.failureOption(cause);
  return Option.isNone(failure) || !isClientError(failure.value);
};
const unavailable = (error) => new FrameError({
  code: "UNAVAILABLE",
  message: `temporarily unavailable (${error.message})`,
  details: { breaker: error.breaker, retry_after_ms: error.retryAfterMs }
});
const toFrameError = (error) => error instanceof CircuitOpenError ? unavailable(error) : error;
const guard = (options) => (self) => options.breaker.protect(withTimeout(options.timeout, options.what)(self));
export {
  guard,
  isClientError,
  isImplementationFailure,
  toFrameError,
  unavailable,
  withTimeout
};
//# sourceMappingURL=Resilience.js.map
