import { Schema } from "effect";
const ErrorCode = Schema.Literal(
  "INVALID_JSON",
  "INVALID_FRAME",
  "INVALID_MESSAGE",
  "UNKNOWN_TYPE",
  "RATE_LIMITED",
  "NOT_FOUND",
  "HANDLER_FAILED",
  "UNAVAILABLE",
  "TIMEOUT",
  "INTERNAL"
);
const CloseCode = {
  normal: 1e3,
  goingAway: 1001,
  invalidPayload: 1007,
  tooBig: 1009,
  serviceRestart: 1012,
  slowConsumer: 1013,
  heartbeatTimeout: 4e3
};
export {
  CloseCode,
  ErrorCode
};
//# sourceMappingURL=ErrorCode.js.map
