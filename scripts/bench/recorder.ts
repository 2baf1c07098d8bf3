import { LatencyHistogram } from "./histogram.js"

/**
 * The counters of one load-generator run. Latencies and messages count only
 * inside the measurement window (`start`…`stop`); errors count always.
 */
export class Recorder {
  measuring = false
  readonly latency = new LatencyHistogram()
  /** messages answered/delivered inside the window */
  messages = 0
  private readonly errorKinds = new Map<string, number>()

  start(): void {
    this.latency.reset()
    this.messages = 0
    this.measuring = true
  }

  stop(): void {
    this.measuring = false
  }

  /** one answered/delivered message and its latency (ms) */
  observe(latencyMillis: number): void {
    if (!this.measuring) return
    this.messages += 1
    this.latency.recordMillis(Math.max(0, latencyMillis))
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
