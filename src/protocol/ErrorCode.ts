import { Schema } from "effect"

/**
 * The codes of `error` frames (docs/protocol.md section 9). A failed run's
 * `agent_completed` carries codes of its own (`agent/RunErrorCode.ts`).
 */
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
  "INTERNAL"
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
  /** the same code, as a connect whose user context could not be set up meets it (cluster mode, Redis away) */
  tryAgainLater: 1013,
  heartbeatTimeout: 4000,
  tokenExpired: 4001
} as const
