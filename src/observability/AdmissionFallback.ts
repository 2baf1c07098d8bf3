import { Effect, Metric } from "effect"
import * as Metrics from "./Metrics.js"
import { OncePerMinute } from "./OncePerMinute.js"

/**
 * Cluster mode's admission policy when Redis does not answer a check in time
 * (away, or slower than `REDIS_COMMAND_TIMEOUT_MS`): fail open to the node's
 * own limits — the per-node bounds still hold, so a cluster of N nodes admits
 * at most N times a per-user limit meanwhile — and never silently: each such
 * decision is counted by check, and said in the log at most once a minute per check on each node.
 */

/** Admission checks decided by the node's own limits because Redis did not answer, by check. */
export const admissionFallbacks = Metric.counter("switchyard_admission_fallbacks_total", {
  description: "admission checks decided by the node's own limits because Redis did not answer, by check",
  incremental: true
})

/**
 * Where a node's fallbacks are told: one made by each site that checks (`UpgradeLimits`: connections,
 * `RedisRunLeases`: runs) when its layer is built — never per call, which would lift the once-a-minute
 * bound — so two nodes in one process (tests, an embedder) each say theirs.
 */
export class AdmissionFallback {
  private readonly log = new OncePerMinute()

  /** Counts (and, at most once a minute, logs) a `check` the node's own limits decided because Redis did not answer, and why. */
  record(check: "connections" | "runs", why: string): Effect.Effect<void> {
    return Effect.suspend(() => {
      Metrics.count(admissionFallbacks, { check })
      return this.log.warn(check, `admission: Redis did not answer (${why}): ${check} limited by this node's own counts`)
    })
  }
}
