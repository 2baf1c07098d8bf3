import { Schema } from "effect"

/** The error codes of PROTOCOL §9: the `code` of every `error` frame. */
export const ErrorCode = Schema.Literal(
  "INVALID_JSON",
  "INVALID_FRAME",
  "INVALID_MESSAGE",
  "UNKNOWN_TYPE",
  "RATE_LIMITED",
  "NOT_FOUND",
  "HANDLER_FAILED",
  "UNAVAILABLE",
  "TIMEOUT",
  "INTERNAL",
  // a run's node died (cluster mode): a surviving node ended the run
  "NODE_LOST"
)

/** @see ErrorCode */
export type ErrorCode = typeof ErrorCode.Type

/** WebSocket close codes used by the service (PROTOCOL §9). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  invalidPayload: 1007,
  tooBig: 1009,
  serviceRestart: 1012,
  slowConsumer: 1013,
  heartbeatTimeout: 4000,
  tokenExpired: 4001
} as const
