import { Effect } from "effect"
import * as ServerFrame from "../protocol/ServerFrame.js"
import type { Connection, ResumeResult } from "./Connection.js"
import { History, type HistoryOptions } from "./History.js"

/**
 * A user's stream (PROTOCOL §6): every event gets the user's next `seq`, is
 * encoded once, kept in history and delivered to each of the user's open
 * connections. Publishing is synchronous, so seq order is delivery order on
 * every connection.
 */
export class UserStream {
  private seq = 0
  readonly history: History
  readonly connections = new Set<Connection>()

  constructor(historyOptions: HistoryOptions) {
    this.history = new History(historyOptions)
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

  /** Replays to `connection` what a client that saw up to `lastSeq` missed. */
  resume(connection: Connection, lastSeq: number): Effect.Effect<ResumeResult> {
    return Effect.clockWith((clock) =>
      Effect.sync(() => {
        this.history.evict(clock.unsafeCurrentTimeMillis())
        return connection.resume(
          lastSeq,
          this.seq,
          (from, to) => this.history.range(from, to),
          this.history.oldestSeq
        )
      })
    )
  }
}
