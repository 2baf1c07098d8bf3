import type { Duration, Effect, Schedule } from "effect"
import type { ClientLimits } from "./ClientLimits.js"
import type { Disconnect } from "./Disconnect.js"
import type { StreamPosition } from "./StreamCursor.js"

/** How to reach the service, and how to behave when the connection goes. */
export interface ClientOptions {
  /** The WebSocket endpoint, e.g. `ws://localhost:8080/ws`. */
  readonly url: string
  /**
   * The JWT, run at every connect: after a `4001` (token expired) it must
   * yield a fresh one. Sent as the `access_token` query parameter (browsers
   * cannot set headers on a WebSocket). A failure is retried on the reconnect schedule.
   */
  readonly token: Effect.Effect<string, unknown>
  /**
   * The delays between reconnect attempts; reset after each greeted
   * connection. Default: exponential from 200 ms, capped at 10 s, jittered,
   * forever. When it ends, the client stops.
   */
  readonly reconnect?: Schedule.Schedule<unknown, Disconnect> | undefined
  /** How long a request is resent across reconnects before it fails with `RequestTimeout` (default 30 s). */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /** How long a WebSocket may take to open (default 10 s); a socket not greeted within twice that is given up. */
  readonly openTimeout?: Duration.DurationInput | undefined
  /**
   * How long the connection may stay silent before the client pings; when
   * the ping is not answered within as long again, the connection is taken for
   * dead and replaced. Default: the server's `heartbeat_ms`, kept within
   * 1 s – 10 min (a server's 0.5 would make the client flap); `false`: never.
   */
  readonly heartbeat?: Duration.DurationInput | false | undefined
  /** Where a previous client left the stream: its events after this position are delivered first. */
  readonly resumeFrom?: StreamPosition | undefined
  /** What the client may buffer before it ends a connection (see {@link ClientLimits}); the defaults suit most apps. */
  readonly limits?: Partial<ClientLimits> | undefined
}
