import { LatencyHistogram } from "./histogram.js"

/**
 * The counters of one load-generator run. Latencies and messages count only
 * inside the measurement window (`start`…`stop`); errors count always.
 */
export class Recorder {
  measuring = false
  readonly latency = new LatencyHistogram()
  /** the same, split: runs' ends (`agent_completed`), and every other observation (all of them where the caller does not say) */
  readonly runEndLatency = new LatencyHistogram()
  readonly restLatency = new LatencyHistogram()
  /** messages answered/delivered inside the window */
  messages = 0
  private readonly errorKinds = new Map<string, number>()

  start(): void {
    this.latency.reset()
    this.runEndLatency.reset()
    this.restLatency.reset()
    this.messages = 0
    this.measuring = true
  }

  stop(): void {
    this.measuring = false
  }

  /** one answered/delivered message and its latency (ms); `runEnd`: it is a run's `agent_completed` */
  observe(latencyMillis: number, runEnd = false): void {
    if (!this.measuring) return
    this.messages += 1
    const millis = Math.max(0, latencyMillis)
    this.latency.recordMillis(millis)
    ;(runEnd ? this.runEndLatency : this.restLatency).recordMillis(millis)
  }

  error(kind: string): void {
    this.errorKinds.set(kind, (this.errorKinds.get(kind) ?? 0) + 1)
  }

  get errors(): number {
    let total = 0
    for (const n of this.errorKinds.values()) total += n
    return total
  }

  /** e.g. ["error_frame: 3", "unexpected_close: 1"] */
  errorNotes(): ReadonlyArray<string> {
    return Array.from(this.errorKinds, ([kind, n]) => `${kind}: ${n}`)
  }
}
