import { Effect, Metric, MetricBoundaries, MetricLabel } from "effect"

/**
 * The service's metrics (effect `Metric`), rendered at `/metrics`. Label values
 * are bounded: a message type no handler claims is counted as `unknown`, and a
 * user id is never a label.
 */

/** Open WebSocket connections of this node. */
export const connectionsOpen = Metric.gauge("switchyard_connections_open", {
  description: "open WebSocket connections"
})

/** Users with at least one open connection on this node. */
export const usersConnected = Metric.gauge("switchyard_users_connected", {
  description: "users with at least one open connection"
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

/**
 * Handler latency by `type` and `implementation` (`builtin`; the migration
 * work adds `legacy` / `next`). Record with {@link observeHandler}.
 */
export const handlerSeconds = Metric.histogram(
  "switchyard_handler_seconds",
  MetricBoundaries.exponential({ start: 0.0001, factor: 2, count: 16 }),
  "handler latency in seconds, by message type and implementation"
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

/** Agent runs going right now (read at scrape time). */
export const runsRunning = Metric.gauge("switchyard_agent_runs_running", {
  description: "agent runs going right now"
})

/** `quality_alert` events pushed to subscribers, by kind (`breach`, `recovered`). */
export const qualityAlerts = Metric.counter("switchyard_quality_alerts_total", {
  description: "quality_alert events pushed, by kind",
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

const labelSets = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()

/**
 * The label set of `tags`, interned: effect caches a metric's hook by the
 * identity of the label array it is updated with, so the same array every
 * time makes a labelled update a map lookup instead of building and hashing
 * a new metric key (which cost ~12% of the frame path). Every label value
 * must come from a bounded set.
 */
export const labels = (tags: Readonly<Record<string, string>>): ReadonlyArray<MetricLabel.MetricLabel> => {
  let key = ""
  for (const name in tags) key += `${name}\u0000${tags[name]}\u0000`
  let set = labelSets.get(key)
  if (set === undefined) {
    set = Object.entries(tags).map(([name, value]) => MetricLabel.make(name, value))
    labelSets.set(key, set)
  }
  return set
}

/** Adds 1 to `counter` under `tags`, from synchronous code. */
export const count = (counter: Metric.Metric.Counter<number>, tags: Readonly<Record<string, string>>): void =>
  counter.unsafeUpdate(1, labels(tags))

/** `count` as an Effect. */
export const increment = (
  counter: Metric.Metric.Counter<number>,
  tags: Readonly<Record<string, string>>
): Effect.Effect<void> => Effect.sync(() => count(counter, tags))

/**
 * Records one handler's latency in {@link handlerSeconds} without a fiber
 * (the frame path is hot). `type` must be a bounded label: a type no handler
 * claims is passed as `unknown`.
 */
export const observeHandler = (type: string, implementation: string, seconds: number): void =>
  handlerSeconds.unsafeUpdate(seconds, labels({ type, implementation }))

/** The per-frame metrics of one message type, with their label sets resolved once. */
export interface FrameMetrics {
  /** records the handler's latency (implementation `builtin`) */
  readonly observe: (seconds: number) => void
  /** counts a handled frame in `switchyard_frames_total` */
  readonly handled: (outcome: "ok" | "duplicate" | "error") => void
}

const frameMetricsByType = new Map<string, FrameMetrics>()

/** The frame metrics of `type`, which must be a bounded label (`unknown` for unclaimed types). */
export const frameMetrics = (type: string): FrameMetrics => {
  let metrics = frameMetricsByType.get(type)
  if (metrics === undefined) {
    const latency = labels({ type, implementation: "builtin" })
    const outcomes = {
      ok: labels({ type, outcome: "ok" }),
      duplicate: labels({ type, outcome: "duplicate" }),
      error: labels({ type, outcome: "error" })
    }
    metrics = {
      observe: (seconds) => handlerSeconds.unsafeUpdate(seconds, latency),
      handled: (outcome) => framesTotal.unsafeUpdate(1, outcomes[outcome])
    }
    frameMetricsByType.set(type, metrics)
  }
  return metrics
}

/** Calls of a migrating type's implementations, by `type`, `side` (`legacy`/`next`), `role` (`serve`/`shadow`) and `outcome`. */
export const migrationCalls = Metric.counter("switchyard_migration_calls_total", {
  description: "calls of a migrating type's implementations, by type, side, role and outcome",
  incremental: true
})

/** Frames legacy served because next failed, timed out or had its breaker open (`next_primary`), by `type`. */
export const migrationFallbacks = Metric.counter("switchyard_migration_fallbacks_total", {
  description: "fallbacks from next to legacy, by type",
  incremental: true
})

/** Shadow comparisons that found a difference, by `type`. */
export const shadowMismatches = Metric.counter("switchyard_migration_shadow_mismatches_total", {
  description: "shadow comparisons that found a difference, by type",
  incremental: true
})

/** Automatic rollbacks to `legacy_only`, by `type`. */
export const migrationRollbacks = Metric.counter("switchyard_migration_rollbacks_total", {
  description: "automatic rollbacks of a migrating type to legacy_only, by type",
  incremental: true
})

/** Circuit breaker state changes, by `breaker` (`<type>/<side>`) and the state entered (`to`). */
export const breakerTransitions = Metric.counter("switchyard_circuit_breaker_transitions_total", {
  description: "circuit breaker state changes, by breaker and new state",
  incremental: true
})

// The series that exist before anything happened: Prometheus should see 0, not no series
// (a missing series breaks rate() and absent-alerts). Tagged ones get their bounded values.
const zeroSeries: ReadonlyArray<Metric.Metric.Counter<number>> = [
  clientErrors,
  streamEvents,
  duplicatesSuppressed,
  slowConsumerCloses,
  ...["completed", "failed", "cancelled"].map((status) => Metric.tagged(runsTotal, "status", status)),
  ...["breach", "recovered"].map((kind) => Metric.tagged(qualityAlerts, "kind", kind))
]

/** Makes every untagged counter (and the bounded values of tagged ones) appear in `/metrics` at 0. Idempotent. */
export const registerZeroes = (): void => {
  for (const counter of zeroSeries) counter.unsafeUpdate(0, [])
}

// connection admission limits
/** Upgrades refused by a connection limit, by `reason` (`address_rate`, `user_connections`, `process_connections`). */
export const upgradesRefused = Metric.counter("switchyard_upgrades_refused_total", {
  description: "WebSocket upgrades refused by a connection limit, by reason",
  incremental: true
})
