import type { BenchClient } from "../client.js"
import type { Recorder } from "../recorder.js"
import { type CompletedRun, recordErrorFrame, StreamTracker } from "../stream-tracker.js"

/** The question every run asks (the embedded agent answers it with the calculator tool). */
export const RUN_TEXT = "what is 17 * 23"

/** Tallies of agent runs, shared by the users of one scenario. */
export class RunTally {
  started = 0
  /** runs completed inside the recorder's window, and their events seen by the starting connection */
  completedInWindow = 0
  eventsInWindow = 0
  inFlight = 0
}

/**
 * One user's connections: every connection tracks the user's stream
 * (latency, seq); the first one, the driver, starts runs with `user_message`
 * and hears when they complete (`onCompleted`).
 */
export class UserDriver {
  private counter = 0

  constructor(
    private readonly clients: ReadonlyArray<BenchClient>,
    private readonly recorder: Recorder,
    private readonly tally: RunTally,
    private readonly onCompleted: (driver: UserDriver) => void
  ) {
    for (const client of clients) {
      const tracker = new StreamTracker(recorder)
      client.onFrame = (frame) => {
        const isDriver = client === this.driver
        const done = tracker.handle(frame)
        if (done !== undefined) {
          if (isDriver) this.completed(done)
        } else if (frame.type === "ack") {
          if (frame.payload["status"] !== "ok") recorder.error("run_not_acked_ok")
        } else if (recordErrorFrame(frame, recorder) && isDriver && frame.id !== undefined) {
          // the run was refused: count it as ended, try again a little later
          tally.inFlight -= 1
          setTimeout(() => onCompleted(this), 100)
        }
      }
      client.onUnexpectedClose = () => recorder.error("unexpected_close")
    }
  }

  private get driver(): BenchClient {
    return this.clients[0]!
  }

  /** Starts one run. */
  startRun(): void {
    this.tally.inFlight += 1
    this.tally.started += 1
    this.driver.send({ type: "user_message", id: `m${this.counter++}`, payload: { text: RUN_TEXT } })
  }

  private completed(run: CompletedRun): void {
    this.tally.inFlight -= 1
    if (run.status !== "completed") this.recorder.error(`run_${String(run.status)}`)
    if (this.recorder.measuring) {
      this.tally.completedInWindow += 1
      this.tally.eventsInWindow += run.events
    }
    this.onCompleted(this)
  }
}
