import type { ServerFrame } from "./frames.js"
import { parseDeltaText } from "./model-stream.js"
import type { Recorder } from "./recorder.js"
import type { SeqOrder } from "./stream-tracker.js"

/** A run that ended on this connection. */
export interface EndedRun {
  readonly runId: string
  readonly status: unknown
}

/** ` CODE` of a failed run's `error`, for the notes. */
const codeOf = (error: unknown): string => {
  const code: unknown = typeof error === "object" && error !== null ? Reflect.get(error, "code") : undefined
  return typeof code === "string" ? ` ${code}` : ""
}

/** Deltas missing on a scenario's connections, summed (the zero-loss check). */
export class LossTally {
  lost = 0
}

interface RunState {
  /** the index the next delta must have */
  next: number
  /** characters of the deltas seen, to compare with the answer's */
  chars: number
}

/**
 * Watches one connection in the `stream` scenario. Every `agent_message_delta`
 * counts as a delivered delta, its latency the time from the fake model
 * server's write (stamped in its text) to now. Zero loss means: on every
 * connection, each run's deltas arrive with indexes 0, 1, … `deltasPerRun`−1,
 * in order, none after its `agent_completed`, which says `completed` with a
 * text as long as the deltas'. With `order` `user`, the connection's `seq`
 * must also grow by exactly 1 (PROTOCOL §6).
 */
export class DeltaTracker {
  private lastSeq: number | undefined
  private readonly runs = new Map<string, RunState>()
  private readonly ended = new Set<string>()

  constructor(
    private readonly recorder: Recorder,
    private readonly loss: LossTally,
    private readonly deltasPerRun: number,
    private readonly order: SeqOrder
  ) {}

  /** Handles a frame read at `nowMicros` (monotonic); answers the run when the frame is its `agent_completed`. */
  handle(frame: ServerFrame, nowMicros: number): EndedRun | undefined {
    if (frame.seq === undefined || frame.runId === undefined) return undefined
    if (this.order === "user" && this.lastSeq !== undefined && frame.seq !== this.lastSeq + 1) this.recorder.error("seq_gap")
    this.lastSeq = frame.seq
    const runId = frame.runId
    if (this.ended.has(runId)) {
      this.recorder.error("event_after_completed")
      return undefined
    }
    let run = this.runs.get(runId)
    if (run === undefined) {
      run = { next: 0, chars: 0 }
      this.runs.set(runId, run)
    }
    if (frame.type === "agent_message_delta") {
      this.delta(run, frame, nowMicros)
      return undefined
    }
    if (frame.type !== "agent_completed") return undefined
    this.runs.delete(runId)
    this.ended.add(runId)
    const status = frame.payload["status"]
    if (status !== "completed") this.recorder.error(`run_${String(status)}${codeOf(frame.payload["error"])}`)
    if (run.next < this.deltasPerRun) {
      this.recorder.error("run_short")
      this.loss.lost += this.deltasPerRun - run.next
    }
    const response = frame.payload["response"]
    const text: unknown = typeof response === "object" && response !== null ? Reflect.get(response, "text") : undefined
    if (status === "completed" && (typeof text !== "string" || text.length !== run.chars)) this.recorder.error("answer_not_the_deltas")
    return { runId, status }
  }

  /** Runs that started here and have not ended. */
  get open(): number {
    return this.runs.size
  }

  private delta(run: RunState, frame: ServerFrame, nowMicros: number): void {
    const text = frame.payload["text"]
    const parsed = typeof text === "string" ? parseDeltaText(text) : undefined
    if (parsed === undefined || typeof text !== "string") return this.recorder.error("delta_unreadable")
    run.chars += text.length
    if (parsed.index > run.next) {
      this.recorder.error("delta_gap")
      this.loss.lost += parsed.index - run.next
    } else if (parsed.index < run.next) this.recorder.error("delta_repeated_or_reordered")
    run.next = Math.max(run.next, parsed.index + 1)
    this.recorder.observe((nowMicros - parsed.writtenMicros) / 1000)
  }
}
