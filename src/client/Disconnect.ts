/**
 * Why a connection ended, as a client can observe it (PROTOCOL §9), and what
 * the client does about it. A browser's WebSocket shows an upgrade refusal
 * only as "error" then close 1006, so the refusals below are what
 * `UpgradeProbe` learns by asking the same URL over HTTP.
 */
import { CloseCode } from "../protocol/ErrorCode.js"

/** Why the client is not (or no longer) connected. */
export type DisconnectReason =
  /** HTTP 401 at the upgrade: the token was refused */
  | "Unauthorized"
  /** HTTP 403 at the upgrade: the page's origin is not allowed */
  | "Forbidden"
  /** HTTP 429 at the upgrade: too many upgrades from this address, or connections of this user */
  | "RateLimited"
  /** HTTP 503 at the upgrade: the node is draining or full */
  | "Unavailable"
  /** no WebSocket and no HTTP answer either: the network or the server is down */
  | "Unreachable"
  /** the WebSocket did not open within `openTimeout` */
  | "OpenTimeout"
  /** the `token` Effect failed */
  | "TokenFailed"
  /** close 4001: the token expired; a fresh one is fetched */
  | "TokenExpired"
  /** close 1001: the server is going away */
  | "GoingAway"
  /** close 1012: the service restarts (drain) */
  | "ServiceRestart"
  /** close 1013, or a buffer of the client's own full (see `ClientLimits`): this client read too slowly; history keeps what it missed */
  | "SlowConsumer"
  /** close 4000, or the connection stayed silent through the client's own ping */
  | "HeartbeatTimeout"
  /** close 1009: a frame this client sent was too big */
  | "MessageTooBig"
  /** close 1007: a frame this client sent was not valid UTF-8 (a client bug) */
  | "InvalidPayload"
  /** close 1000 */
  | "Normal"
  /** any other close (1006: the connection was cut) */
  | "Abnormal"

/** A connection's end: its reason, the close code when there was one, and the server's `Retry-After`. */
export interface Disconnect {
  readonly reason: DisconnectReason
  readonly code?: number | undefined
  readonly retryAfterMs?: number | undefined
}

/**
 * What the client does next: `stop` (nothing a retry can fix), `now`
 * (reconnect at once: the server asked for it), `backoff` (wait the
 * reconnect schedule's next delay).
 */
export type Reaction = "stop" | "now" | "backoff"

/** The reaction to each reason. */
export const reaction = (reason: DisconnectReason): Reaction => {
  switch (reason) {
    case "Unauthorized":
    case "Forbidden":
      return "stop"
    case "TokenExpired":
    case "GoingAway":
    case "ServiceRestart":
    case "HeartbeatTimeout":
      return "now"
    default:
      // 1013 included: a slow reader that came straight back would overflow again
      return "backoff"
  }
}

/** The reason a close code stands for (PROTOCOL §9). */
export const fromCloseCode = (code: number): DisconnectReason => {
  switch (code) {
    case CloseCode.normal:
      return "Normal"
    case CloseCode.goingAway:
      return "GoingAway"
    case CloseCode.invalidPayload:
      return "InvalidPayload"
    case CloseCode.tooBig:
      return "MessageTooBig"
    case CloseCode.serviceRestart:
      return "ServiceRestart"
    case CloseCode.slowConsumer:
      return "SlowConsumer"
    case CloseCode.heartbeatTimeout:
      return "HeartbeatTimeout"
    case CloseCode.tokenExpired:
      return "TokenExpired"
    default:
      return "Abnormal"
  }
}

/** The reason an HTTP refusal of the upgrade stands for (PROTOCOL §9). */
export const fromRefusalStatus = (status: number): DisconnectReason => {
  switch (status) {
    case 401:
      return "Unauthorized"
    case 403:
      return "Forbidden"
    case 429:
      return "RateLimited"
    case 503:
      return "Unavailable"
    default:
      return "Unreachable"
  }
}
