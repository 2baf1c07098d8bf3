import { Clock, Effect, Metric } from "effect"
import * as Metrics from "./Metrics.js"

/**
 * Cluster mode's admission policy when Redis does not answer a check in time
 * (away, or slower than `REDIS_COMMAND_TIMEOUT_MS`): fail open to the node's
 * own limits — the per-node bounds still hold, so a cluster of N nodes admits
 * at most N times a per-user limit meanwhile — and never silently: each such
 * decision is counted by check, and said in the log at most once a minute per check.
 */

/** Admission checks decided by the node's own limits because Redis did not answer, by check. */
export const admissionFallbacks = Metric.counter("switchyard_admission_fallbacks_total", {
  description: "admission checks decided by the node's own limits because Redis did not answer, by check",
  incremental: true
})

// when each check last said so
const lastSaid = new Map<string, number>()

/** Counts (and, at most once a minute, logs) a `check` (`connections`, `runs`) decided without Redis, and why. */
export const fallback = (check: "connections" | "runs", why: string): Effect.Effect<void> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    Metrics.count(admissionFallbacks, { check })
    const said = lastSaid.get(check)
    if (said !== undefined && now - said < 60_000) return Effect.void
    lastSaid.set(check, now)
    return Effect.logWarning(`admission: Redis did not answer (${why}): ${check} limited by this node's own counts`)
  })
