import { Metric, MetricBoundaries } from "effect"

/**
 * The service's metrics (effect `Metric`), rendered at `/metrics`. Label values
 * are bounded: a message type no handler claims is counted as `unknown`, and a
 * user id is never a label.
 */

/** Open WebSocket connections of this node. */
export const connectionsOpen = Metric.gauge("switchyard_connections_open", {
  description: "open WebSocket connections"
})

/** Users with a live session (connected, or disconnected within the grace period). */
export const usersActive = Metric.gauge("switchyard_users_active", {
  description: "users with a live session"
})

/** Client frames handled, by type and outcome (`ok`, `duplicate`, `error`). */
export const framesTotal = Metric.counter("switchyard_frames_total", {
  description: "client frames handled, by type and outcome",
  incremental: true
})

/** Frames rejected before routing (invalid JSON, binary, oversized, malformed). */
export const framesRejected = Metric.counter("switchyard_frames_rejected_total", {
  description: "client frames rejected before routing, by error code",
  incremental: true
})

/** Handler latency by type. */
export const handlerSeconds = Metric.histogram(
  "switchyard_handler_seconds",
  MetricBoundaries.exponential({ start: 0.0001, factor: 2, count: 16 }),
  "handler latency in seconds, by message type"
)

/** Client-side error reports (`error` frames from clients). */
export const clientErrors = Metric.counter("switchyard_client_errors_total", {
  description: "error reports sent by clients",
  incremental: true
})

/** Agent runs ended, by status. */
export const runsTotal = Metric.counter("switchyard_agent_runs_total", {
  description: "agent runs ended, by status",
  incremental: true
})

/** Stream events published to users' streams. */
export const streamEvents = Metric.counter("switchyard_stream_events_total", {
  description: "events published to users' streams",
  incremental: true
})

/** Frames answered as duplicates instead of being processed again. */
export const duplicatesSuppressed = Metric.counter("switchyard_duplicates_suppressed_total", {
  description: "frames answered as duplicates",
  incremental: true
})

/** Connections closed with 1013 because they did not read fast enough. */
export const slowConsumerCloses = Metric.counter("switchyard_slow_consumer_closes_total", {
  description: "connections closed as slow consumers (1013)",
  incremental: true
})

/** Adds 1 to a counter from synchronous code (the socket callbacks): no fiber needed. */
export const bump = (counter: Metric.Metric.Counter<number>): void => counter.unsafeUpdate(1, [])
