/**
 * The automatic-rollback decision of a migrating message type (PROTOCOL.md §8):
 * a pure function of the rolling-window statistics of its `legacy` and `next`
 * implementations.
 *
 * @since 0.1.0
 */
import { Option } from "effect"
import type { WindowStats } from "./RollingStats.js"

/**
 * Rollback thresholds.
 *
 * @since 0.1.0
 */
export interface Thresholds {
  /** Roll back when next's error rate exceeds legacy's by more than this (a fraction: `0.05` = 5 points). */
  readonly maxErrorRateDelta: number
  /** Roll back when next's p95 latency exceeds this multiple of legacy's. */
  readonly maxLatencyRatio: number
  /** No decision while either side has fewer samples than this in the window (see {@link decide}). */
  readonly minimumSamples: number
  /**
   * Noise floor of the latency rule: it fires only if next's p95 also exceeds
   * legacy's by at least this many milliseconds (default `1`), so sub-millisecond
   * jitter between two fast in-process handlers never rolls back.
   */
  readonly minLatencyDeltaMs: number
}

/**
 * Defaults: 5 points of error rate, 1.5× p95 latency, 20 samples, 1 ms noise floor.
 *
 * @since 0.1.0
 */
export const defaultThresholds: Thresholds = {
  maxErrorRateDelta: 0.05,
  maxLatencyRatio: 1.5,
  minimumSamples: 20,
  minLatencyDeltaMs: 1
}

/**
 * Why a type is rolled back.
 *
 * @since 0.1.0
 */
export interface Rollback {
  /** Human-readable reason, e.g. "next error rate 12.0% exceeds legacy 1.0% by more than 5 points". */
  readonly reason: string
}

/**
 * The window statistics {@link decide} needs from each side.
 *
 * @since 0.1.0
 */
export type SideStats = Pick<WindowStats, "count" | "errorRate" | "p95_ms">

/** Guards float comparisons such as `0.07 - 0.02 > 0.05`. */
const EPSILON = 1e-9

const pct = (rate: number): string => `${(rate * 100).toFixed(1)}%`

const points = (delta: number): string => `${Number((delta * 100).toFixed(2))}`

const ms = (value: number): string => `${value.toFixed(1)} ms`

/**
 * Decides whether `next` should be rolled back:
 *
 * - never while `next` has fewer than `minimumSamples` samples in the window;
 * - if `legacy` has no samples at all, only the error-rate rule applies, with
 *   legacy's error rate taken as 0;
 * - otherwise never while `legacy` has fewer than `minimumSamples` samples;
 * - error-rate rule: `next.errorRate - legacy.errorRate > maxErrorRateDelta`;
 * - latency rule: `next.p95_ms > maxLatencyRatio × legacy.p95_ms` (and by at
 *   least `minLatencyDeltaMs`).
 *
 * When both rules fire the reasons are joined with "; ".
 *
 * @since 0.1.0
 */
export const decide = (
  stats: { readonly legacy: SideStats; readonly next: SideStats },
  thresholds: Partial<Thresholds> = {}
): Option.Option<Rollback> => {
  const t: Thresholds = { ...defaultThresholds, ...thresholds }
  const { legacy, next } = stats
  if (next.count < t.minimumSamples) return Option.none()
  const legacyEmpty = legacy.count === 0
  if (!legacyEmpty && legacy.count < t.minimumSamples) return Option.none()

  const reasons: Array<string> = []
  const legacyRate = legacyEmpty ? 0 : legacy.errorRate
  if (next.errorRate - legacyRate > t.maxErrorRateDelta + EPSILON) {
    reasons.push(
      legacyEmpty
        ? `next error rate ${pct(next.errorRate)} exceeds ${points(t.maxErrorRateDelta)}% with no legacy samples`
        : `next error rate ${pct(next.errorRate)} exceeds legacy ${pct(legacy.errorRate)} by more than ${
          points(t.maxErrorRateDelta)
        } points`
    )
  }
  if (
    !legacyEmpty &&
    next.p95_ms > t.maxLatencyRatio * legacy.p95_ms + EPSILON &&
    next.p95_ms - legacy.p95_ms >= t.minLatencyDeltaMs
  ) {
    reasons.push(
      `next p95 latency ${ms(next.p95_ms)} exceeds ${t.maxLatencyRatio}× legacy p95 ${ms(legacy.p95_ms)}`
    )
  }
  return reasons.length === 0 ? Option.none() : Option.some({ reason: reasons.join("; ") })
}
