import { Effect } from "effect"
import * as ServerFrame from "../protocol/ServerFrame.js"
import type { Connection } from "../transport/Connection.js"
import * as Epoch from "../store/Epoch.js"
import { History, type HistoryOptions } from "../store/History.js"
import * as ResumePlan from "./ResumePlan.js"

/**
 * A user's stream (PROTOCOL §6): every event gets the user's next `seq`, is
 * encoded once, kept in history and delivered to each of the user's open
 * connections. Publishing is synchronous, so seq order is delivery order on
 * every connection. Its `epoch` names this run of seqs: it is fixed when the
 * stream is made, and a stream made anew (its past lost) gets another one.
 */
export class UserStream {
  private seq = 0
  readonly history: History
  readonly connections = new Set<Connection>()

  constructor(historyOptions: HistoryOptions, readonly epoch: Epoch.Epoch = Epoch.unsafeMake()) {
    this.history = new History(historyOptions)
  }

  /** A new stream, with an epoch minted at the `Clock`'s time. */
  static make(historyOptions: HistoryOptions): Effect.Effect<UserStream> {
    return Effect.map(Epoch.make, (epoch) => new UserStream(historyOptions, epoch))
  }

  /** The latest seq of the stream, 0 before the first event. */
  get lastSeq(): number {
    return this.seq
  }

  /** Appends an event to the stream and fans it out; returns its seq. */
  publish(event: ServerFrame.StreamEvent): Effect.Effect<number> {
    return Effect.clockWith((clock) =>
      Effect.sync(() => {
        const at = clock.unsafeCurrentTimeMillis()
        const seq = ++this.seq
        const entry = { seq, at, frame: ServerFrame.streamEvent(seq, event, new Date(at).toISOString()) }
        this.history.append(entry)
        for (const connection of this.connections) connection.deliver(entry)
        return seq
      })
    )
  }

  /** Replays to `connection` what a client at `request`'s position missed (PROTOCOL §4 `resume`). */
  resume(connection: Connection, request: ResumePlan.ResumeRequest): Effect.Effect<ResumePlan.ResumeResult> {
    return Effect.clockWith((clock) =>
      Effect.sync(() => {
        this.history.evict(clock.unsafeCurrentTimeMillis())
        const decided = ResumePlan.plan(request, {
          epoch: this.epoch,
          latestSeq: this.seq,
          oldestSeq: this.history.oldestSeq
        })
        const replay = decided.after === undefined ? [] : this.history.range(decided.after, this.seq)
        return { replayed: connection.replay(replay, this.seq), gap: decided.gap, epoch: this.epoch }
      })
    )
  }
}
