import { MetricState } from "effect"
import type * as MetricPair from "effect/MetricPair"
import type { ClusterSample } from "./ClusterSample.js"

/**
 * The numbers of the live dashboard, computed from the same effect `Metric`
 * registry `/metrics` renders (one source of truth): a snapshot becomes
 * {@link Totals}; two totals a few seconds apart become the rates and
 * latency percentiles of a {@link Sample}. Pure: the feed brings the snapshots
 * and the time. Only aggregates by message type: never anything per user.
 */

/** A latency histogram as effect keeps it: cumulative counts per upper bound (seconds). */
export interface Histogram {
  readonly buckets: ReadonlyArray<readonly [number, number]>
  readonly count: number
  readonly sum: number
}

/** Frames of one message type by outcome. */
export interface FrameCounts {
  readonly ok: number
  readonly duplicate: number
  readonly error: number
}

/** The cumulative counters of the service at one moment. */
export interface Totals {
  /** epoch milliseconds */
  readonly at: number
  readonly frames: ReadonlyMap<string, FrameCounts>
  /**
   * handler latency per type, all implementations together: `builtin`, or for
   * a migrating type its `legacy` and `next` calls (shadow calls included)
   */
  readonly latency: ReadonlyMap<string, Histogram>
  readonly rejected: number
  readonly streamEvents: number
  readonly runs: { readonly completed: number; readonly failed: number; readonly cancelled: number }
  readonly duplicates: number
  readonly slowConsumerCloses: number
}

/** The gauges read at sampling time (not from the registry: they are set at scrape time there). */
export interface Gauges {
  readonly connections: number
  readonly usersConnected: number
  readonly usersActive: number
  readonly runsRunning: number
}

/** One message type over the window: rate, error share and latency. */
export interface TypeStats {
  readonly type: string
  /** frames handled in the window */
  readonly count: number
  readonly frames_per_s: number
  /** errors / frames in the window; 0 without frames */
  readonly error_rate: number
  /** handler latency percentiles in the window, milliseconds; null without observations */
  readonly p50_ms: number | null
  readonly p95_ms: number | null
}

/** What the dashboard shows at one moment (sent as JSON over SSE). */
export interface Sample {
  /** epoch milliseconds */
  readonly t: number
  readonly connections: number
  readonly users_connected: number
  readonly users_active: number
  readonly runs_running: number
  /** over the last sampling interval */
  readonly frames_per_s: number
  readonly errors_per_s: number
  readonly stream_events_per_s: number
  /** since the service started */
  readonly totals: {
    readonly frames: number
    readonly errors: number
    readonly rejected: number
    readonly stream_events: number
    readonly runs_completed: number
    readonly runs_failed: number
    readonly runs_cancelled: number
    readonly duplicates: number
    readonly slow_consumer_closes: number
  }
  /** per message type over the window, sorted by type */
  readonly window_s: number
  readonly types: ReadonlyArray<TypeStats>
  /** this node, its backplane and every live node's connection counts (`ClusterSample`) */
  readonly cluster: ClusterSample
}

const emptyCounts: FrameCounts = { ok: 0, duplicate: 0, error: 0 }

const tagOf = (pair: MetricPair.MetricPair.Untyped, name: string): string | undefined => {
  for (const tag of pair.metricKey.tags) if (tag.key === name) return tag.value
  return undefined
}

const counterValue = (state: unknown): number =>
  MetricState.isCounterState(state) ? Number(state.count) : 0

/** Sums two histograms with the same boundaries (the implementations of one type). */
export const addHistograms = (a: Histogram, b: Histogram): Histogram => ({
  buckets: a.buckets.map(([bound, count], i) => [bound, count + (b.buckets[i]?.[1] ?? 0)] as const),
  count: a.count + b.count,
  sum: a.sum + b.sum
})

/** `newer - older` bucket by bucket (same boundaries): the observations between the two. */
export const subtractHistograms = (newer: Histogram, older: Histogram | undefined): Histogram =>
  older === undefined ? newer : {
    buckets: newer.buckets.map(([bound, count], i) => [bound, Math.max(0, count - (older.buckets[i]?.[1] ?? 0))] as const),
    count: Math.max(0, newer.count - older.count),
    sum: Math.max(0, newer.sum - older.sum)
  }

/**
 * The `q`-quantile (`0 < q <= 1`) of a histogram, interpolated linearly
 * inside its bucket as Prometheus' `histogram_quantile` does: the lower edge of
 * the first bucket is 0, and a quantile in the `+Inf` bucket is the highest
 * finite bound. `undefined` when the histogram is empty.
 */
export const histogramQuantile = (histogram: Histogram, q: number): number | undefined => {
  if (histogram.count <= 0) return undefined
  const rank = q * histogram.count
  let lower = 0
  let below = 0
  for (const [bound, cumulative] of histogram.buckets) {
    if (cumulative >= rank && cumulative > below) {
      if (!Number.isFinite(bound)) return lower
      return lower + (bound - lower) * ((rank - below) / (cumulative - below))
    }
    if (Number.isFinite(bound)) lower = bound
    below = cumulative
  }
  return lower
}

/** The dashboard's totals from a registry snapshot (`Metric.snapshot`), at `at`. */
export const totalsOf = (pairs: ReadonlyArray<MetricPair.MetricPair.Untyped>, at: number): Totals => {
  const frames = new Map<string, FrameCounts>()
  const latency = new Map<string, Histogram>()
  let rejected = 0
  let streamEvents = 0
  let duplicates = 0
  let slowConsumerCloses = 0
  const runs = { completed: 0, failed: 0, cancelled: 0 }
  for (const pair of pairs) {
    const state = pair.metricState
    switch (pair.metricKey.name) {
      case "switchyard_frames_total": {
        const type = tagOf(pair, "type") ?? "unknown"
        const outcome = tagOf(pair, "outcome")
        if (outcome !== "ok" && outcome !== "duplicate" && outcome !== "error") break
        const counts = frames.get(type) ?? emptyCounts
        frames.set(type, { ...counts, [outcome]: counts[outcome] + counterValue(state) })
        break
      }
      case "switchyard_handler_seconds": {
        if (!MetricState.isHistogramState(state)) break
        const type = tagOf(pair, "type") ?? "unknown"
        const histogram: Histogram = { buckets: state.buckets, count: state.count, sum: state.sum }
        const previous = latency.get(type)
        latency.set(type, previous === undefined ? histogram : addHistograms(previous, histogram))
        break
      }
      case "switchyard_frames_rejected_total":
        rejected += counterValue(state)
        break
      case "switchyard_stream_events_total":
        streamEvents += counterValue(state)
        break
      case "switchyard_duplicates_suppressed_total":
        duplicates += counterValue(state)
        break
      case "switchyard_slow_consumer_closes_total":
        slowConsumerCloses += counterValue(state)
        break
      case "switchyard_agent_runs_total": {
        const status = tagOf(pair, "status")
        if (status === "completed" || status === "failed" || status === "cancelled") runs[status] += counterValue(state)
        break
      }
    }
  }
  return { at, frames, latency, rejected, streamEvents, runs, duplicates, slowConsumerCloses }
}

const sumFrames = (frames: ReadonlyMap<string, FrameCounts>, pick: (c: FrameCounts) => number): number => {
  let total = 0
  for (const counts of frames.values()) total += pick(counts)
  return total
}

const all = (c: FrameCounts): number => c.ok + c.duplicate + c.error

const perSecond = (delta: number, ms: number): number => (ms <= 0 ? 0 : Math.max(0, delta) / (ms / 1000))

const toMs = (seconds: number | undefined): number | null =>
  seconds === undefined ? null : Math.round(seconds * 1_000_000) / 1000

/**
 * A sample: rates over `previous → current` (the last interval), per-type
 * stats over `windowStart → current`, the gauges and the cluster as they are now.
 */
export const sampleOf = (
  current: Totals,
  previous: Totals | undefined,
  windowStart: Totals | undefined,
  gauges: Gauges,
  cluster: ClusterSample
): Sample => {
  const intervalMs = previous === undefined ? 0 : current.at - previous.at
  const windowMs = windowStart === undefined ? 0 : current.at - windowStart.at
  const frames = sumFrames(current.frames, all)
  const errors = sumFrames(current.frames, (c) => c.error)
  const types: Array<TypeStats> = []
  for (const type of [...current.frames.keys()].sort()) {
    const now = current.frames.get(type) ?? emptyCounts
    const then = windowStart?.frames.get(type) ?? emptyCounts
    const count = all(now) - all(then)
    const failed = now.error - then.error
    const histogram = current.latency.get(type)
    const inWindow = histogram === undefined ? undefined : subtractHistograms(histogram, windowStart?.latency.get(type))
    types.push({
      type,
      count,
      frames_per_s: perSecond(count, windowMs),
      error_rate: count <= 0 ? 0 : failed / count,
      p50_ms: inWindow === undefined ? null : toMs(histogramQuantile(inWindow, 0.5)),
      p95_ms: inWindow === undefined ? null : toMs(histogramQuantile(inWindow, 0.95))
    })
  }
  return {
    t: current.at,
    connections: gauges.connections,
    users_connected: gauges.usersConnected,
    users_active: gauges.usersActive,
    runs_running: gauges.runsRunning,
    frames_per_s: previous === undefined ? 0 : perSecond(frames - sumFrames(previous.frames, all), intervalMs),
    errors_per_s: previous === undefined ? 0 : perSecond(errors - sumFrames(previous.frames, (c) => c.error), intervalMs),
    stream_events_per_s: previous === undefined ? 0 : perSecond(current.streamEvents - previous.streamEvents, intervalMs),
    totals: {
      frames,
      errors,
      rejected: current.rejected,
      stream_events: current.streamEvents,
      runs_completed: current.runs.completed,
      runs_failed: current.runs.failed,
      runs_cancelled: current.runs.cancelled,
      duplicates: current.duplicates,
      slow_consumer_closes: current.slowConsumerCloses
    },
    window_s: Math.round(windowMs / 1000),
    types,
    cluster
  }
}
