import * as Metrics from "../observability/Metrics.js"
import * as Middleware from "./Middleware.js"

/**
 * The frame path's metrics, as observing middleware: label sets are resolved
 * once per route (a type no handler claims is counted as `unknown`), so a
 * frame costs a counter update and a histogram update, nothing more.
 */

/** Counts every answered frame in `switchyard_frames_total` by status, and duplicates in `switchyard_duplicates_suppressed_total`. */
export const countOutcomes: Middleware.Observe = Middleware.observe((route) => {
  const metrics = Metrics.frameMetrics(route.type)
  return (outcome) => {
    metrics.handled(outcome.status)
    if (outcome.status === "duplicate") Metrics.bump(Metrics.duplicatesSuppressed)
  }
})

/**
 * Records the latency of the whole chain below (the dedupe claim included) in
 * `switchyard_handler_seconds` as implementation `builtin` — except for a
 * handler that declares it times itself (a migrating type records each side).
 */
export const timeHandler: Middleware.Observe = Middleware.observe((route) => {
  if (route.handler?.timesItself === true) return undefined
  const metrics = Metrics.frameMetrics(route.type)
  return (_, startedAt) => metrics.observe((performance.now() - startedAt) / 1000)
})
