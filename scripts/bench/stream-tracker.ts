import type { ServerFrame } from "./frames.js"
import { wallClockMillis } from "./frames.js"
import type { Recorder } from "./recorder.js"

/** A run that ended on this connection, with the number of its events seen here. */
export interface CompletedRun {
  readonly runId: string
  readonly events: number
  readonly status: unknown
}

/**
 * What a gap is: `user`, `seq` grows by exactly 1 per connection (PROTOCOL
 * §6); `run`, `seq` is the event's place in its run (the Socket.IO baseline,
 * which has no per-user order across nodes).
 */
export type SeqOrder = "user" | "run"

/**
 * Watches one connection's user stream: every frame with a `seq` counts as a
 * delivered event with latency now − `ts`; a `seq` out of `order` is an error.
 */
export class StreamTracker {
  private lastSeq: number | undefined
  private readonly runEvents = new Map<string, number>()

  constructor(private readonly recorder: Recorder, private readonly order: SeqOrder = "user") {}

  /** Handles a frame; answers the run when the frame is its `agent_completed`. */
  handle(frame: ServerFrame): CompletedRun | undefined {
    if (frame.seq === undefined) return undefined
    if (this.order === "user" && this.lastSeq !== undefined && frame.seq !== this.lastSeq + 1) this.recorder.error("seq_gap")
    this.lastSeq = frame.seq
    if (frame.tsMillis !== undefined) this.recorder.observe(wallClockMillis() - frame.tsMillis, frame.type === "agent_completed")
    else this.recorder.error("event_without_ts")
    if (frame.runId === undefined) return undefined
    const events = (this.runEvents.get(frame.runId) ?? 0) + 1
    if (this.order === "run" && frame.seq !== events) this.recorder.error("run_order")
    if (frame.type !== "agent_completed") {
      this.runEvents.set(frame.runId, events)
      return undefined
    }
    this.runEvents.delete(frame.runId)
    return { runId: frame.runId, events, status: frame.payload["status"] }
  }
}

/** Records an `error` frame by its code; true when the frame was one. */
export const recordErrorFrame = (frame: ServerFrame, recorder: Recorder): boolean => {
  if (frame.type !== "error") return false
  const code = frame.payload["code"]
  recorder.error(`error_frame ${typeof code === "string" ? code : "?"}`)
  return true
}
