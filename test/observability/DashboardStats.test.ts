import { describe, expect, it } from "@effect/vitest"
import { Effect, Metric, MetricBoundaries } from "effect"
import {
  type Histogram,
  histogramQuantile,
  sampleOf,
  subtractHistograms,
  totalsOf
} from "../../src/observability/DashboardStats.js"
import { clusterSampleOf } from "../../src/observability/ClusterSample.js"

const histogram = (buckets: Array<[number, number]>): Histogram => ({
  buckets,
  count: buckets[buckets.length - 1]![1],
  sum: 0
})

const gauges = { connections: 2, usersConnected: 1, usersActive: 3, runsRunning: 0 }
const alone = clusterSampleOf(
  "node-1",
  { mode: "memory", connected: true, status: "connected", reconnects: 0, lagMs: 0, publishesQueued: 0, runEndsOwed: 0 },
  [],
  { connections: 2, users: 1 }
)

describe("histogramQuantile", () => {
  it("interpolates inside the bucket holding the rank, as histogram_quantile does", () => {
    // 10 observations in (0, 1], 10 in (1, 2]
    const h = histogram([[1, 10], [2, 20], [Infinity, 20]])
    expect(histogramQuantile(h, 0.5)).toBe(1)
    expect(histogramQuantile(h, 0.25)).toBe(0.5)
    expect(histogramQuantile(h, 0.95)).toBeCloseTo(1.9)
  })

  it("skips empty buckets, caps at the highest finite bound, and is undefined when empty", () => {
    expect(histogramQuantile(histogram([[1, 0], [2, 0], [4, 4], [Infinity, 4]]), 0.5)).toBe(3)
    expect(histogramQuantile(histogram([[1, 0], [2, 0], [Infinity, 5]]), 0.5)).toBe(2)
    expect(histogramQuantile(histogram([[1, 0], [Infinity, 0]]), 0.5)).toBeUndefined()
  })

  it("of a difference: only the observations between two snapshots", () => {
    const before = histogram([[1, 100], [2, 100], [Infinity, 100]])
    const after = histogram([[1, 100], [2, 110], [Infinity, 110]])
    expect(histogramQuantile(subtractHistograms(after, before), 0.5)).toBe(1.5)
  })
})

describe("totalsOf / sampleOf", () => {
  it.effect("reads frames, latency, runs and stream events from the metric registry", () =>
    Effect.gen(function*() {
      // names the service uses; tags as ServeConnection and Runs set them
      const frames = Metric.counter("switchyard_frames_total", { incremental: true })
      const latency = Metric.histogram("switchyard_handler_seconds", MetricBoundaries.linear({ start: 0.001, width: 0.001, count: 10 }))
      const runs = Metric.counter("switchyard_agent_runs_total", { incremental: true })
      const events = Metric.counter("switchyard_stream_events_total", { incremental: true })
      const before = totalsOf(yield* Metric.snapshot, 0)

      const ping = (outcome: string) => frames.pipe(Metric.tagged("type", "ping"), Metric.tagged("outcome", outcome))
      yield* Metric.incrementBy(ping("ok"), 8)
      yield* Metric.incrementBy(ping("error"), 2)
      for (let i = 0; i < 10; i++) {
        yield* Metric.update(latency.pipe(Metric.tagged("type", "ping"), Metric.tagged("implementation", "builtin")), 0.0015)
      }
      yield* Metric.incrementBy(Metric.tagged(runs, "status", "completed"), 3)
      yield* Metric.incrementBy(events, 30)
      const after = totalsOf(yield* Metric.snapshot, 10_000)

      expect(after.frames.get("ping")).toEqual({ ok: 8, duplicate: 0, error: 2 })
      expect(after.runs).toEqual({ completed: 3, failed: 0, cancelled: 0 })
      const sample = sampleOf(after, before, before, gauges, alone)
      expect(sample).toMatchObject({
        t: 10_000,
        connections: 2,
        users_connected: 1,
        users_active: 3,
        frames_per_s: 1,
        errors_per_s: 0.2,
        stream_events_per_s: 3,
        totals: { frames: 10, errors: 2, stream_events: 30, runs_completed: 3 },
        window_s: 10,
        cluster: { node_id: "node-1", nodes: [{ node_id: "node-1", connections: 2, users: 1, self: true }] }
      })
      expect(sample.types).toHaveLength(1)
      expect(sample.types[0]).toMatchObject({ type: "ping", count: 10, frames_per_s: 1, error_rate: 0.2 })
      // every observation was 1.5 ms, in the (1 ms, 2 ms] bucket
      expect(sample.types[0]!.p50_ms).toBeGreaterThan(1)
      expect(sample.types[0]!.p95_ms).toBeLessThanOrEqual(2)
    }))

  it("the first sample has no rates yet; a type without frames in the window has null latency", () => {
    const only = totalsOf([], 5)
    expect(sampleOf(only, undefined, undefined, gauges, alone)).toMatchObject({ frames_per_s: 0, types: [], window_s: 0 })
  })
})
