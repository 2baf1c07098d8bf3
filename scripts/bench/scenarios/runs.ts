import type { StreamClient } from "../client.js"
import { LatencyHistogram } from "../histogram.js"
import type { Recorder } from "../recorder.js"
import { type CompletedRun, recordErrorFrame, type SeqOrder, StreamTracker } from "../stream-tracker.js"

/** The question every run asks (the embedded agent answers it with the calculator tool). */
export const RUN_TEXT = "what is 17 * 23"

/** Tallies of agent runs, shared by the users of one scenario. */
export class RunTally {
  started = 0
  /** runs completed inside the recorder's window, and their events seen by the starting connection */
  completedInWindow = 0
  eventsInWindow = 0
  inFlight = 0
  /** run duration, `user_message` sent → `agent_completed` received, for runs completed in the window */
  readonly duration = new LatencyHistogram()
}

/**
 * One user's connections: every connection tracks the user's stream
 * (latency, seq); the first one, the driver, starts runs with `user_message`
 * and hears when they complete (`onCompleted`).
 */
export class UserDriver {
  private counter = 0
  /** when each of this user's runs was asked for, by message id until acked, then by run id */
  private readonly askedAt = new Map<string, number>()

  constructor(
    private readonly clients: ReadonlyArray<StreamClient>,
    private readonly recorder: Recorder,
    private readonly tally: RunTally,
    private readonly onCompleted: (driver: UserDriver) => void,
    /** where the events a connection sees are recorded (cluster: the driver's node apart from the other node) */
    recorderOf: (client: StreamClient) => Recorder = () => recorder,
    order: SeqOrder = "user"
  ) {
    for (const client of clients) {
      const tracker = new StreamTracker(recorderOf(client), order)
      client.onFrame = (frame) => {
        const isDriver = client === this.driver
        const done = tracker.handle(frame)
        if (done !== undefined) {
          if (isDriver) this.completed(done)
        } else if (frame.type === "ack") {
          if (frame.payload["status"] !== "ok") recorder.error("run_not_acked_ok")
          if (isDriver) this.acked(frame.id, frame.payload["result"])
        } else if (recordErrorFrame(frame, recorder) && isDriver && frame.id !== undefined) {
          // the run was refused: count it as ended, try again a little later
          this.askedAt.delete(frame.id)
          tally.inFlight -= 1
          setTimeout(() => onCompleted(this), 100)
        }
      }
      client.onUnexpectedClose = () => recorder.error("unexpected_close")
    }
  }

  private get driver(): StreamClient {
    return this.clients[0]!
  }

  /** Starts one run. */
  startRun(): void {
    this.tally.inFlight += 1
    this.tally.started += 1
    const id = `m${this.counter++}`
    this.askedAt.set(id, performance.now())
    this.driver.send({ type: "user_message", id, payload: { text: RUN_TEXT } })
  }

  private acked(id: string | undefined, result: unknown): void {
    const asked = id === undefined ? undefined : this.askedAt.get(id)
    if (id === undefined || asked === undefined) return
    this.askedAt.delete(id)
    const runId = typeof result === "object" && result !== null ? Reflect.get(result, "run_id") : undefined
    if (typeof runId === "string") this.askedAt.set(runId, asked)
  }

  private completed(run: CompletedRun): void {
    this.tally.inFlight -= 1
    if (run.status !== "completed") this.recorder.error(`run_${String(run.status)}`)
    const asked = this.askedAt.get(run.runId)
    this.askedAt.delete(run.runId)
    if (this.recorder.measuring) {
      if (asked !== undefined) this.tally.duration.recordMillis(performance.now() - asked)
      this.tally.completedInWindow += 1
      this.tally.eventsInWindow += run.events
    }
    this.onCompleted(this)
  }
}
