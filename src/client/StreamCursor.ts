/**
 * Where a client is in the user's stream, and what it delivers: exactly once
 * and in order across reconnects (PROTOCOL §6). The server's replay is
 * at-least-once; the cursor drops what it has delivered (`seq <= lastSeq` of
 * its epoch), holds what arrives ahead of a hole while a resume is replaying,
 * and turns every loss it can see into one {@link StreamGap}.
 */

/** A position in the user's stream: the last seq delivered, in its epoch. */
export interface StreamPosition {
  readonly epoch: string
  readonly lastSeq: number
}

/**
 * Events were lost between the last one delivered and the next one: reload
 * what you show from the source of truth. Delivered in the stream, in order.
 *
 * - `EpochChanged`: the stream's past is gone (its context was released, or a
 *   node without shared history restarted); seqs count again from 1 in `epoch`.
 * - `HistoryTruncated`: history no longer reaches back to `lastSeq + 1`.
 * - `AheadOfStream`: the client's `lastSeq` is above the stream's latest (a
 *   position that never existed in this epoch).
 * - `Undecodable`: the event after `lastSeq` came, but off the contract this
 *   client knows (a newer server?): it could not be typed.
 */
export interface StreamGap {
  readonly type: "stream_gap"
  readonly reason: "EpochChanged" | "HistoryTruncated" | "AheadOfStream" | "Undecodable"
  /** the epoch of the last event delivered before the gap */
  readonly previousEpoch: string
  /** the seq of the last event delivered before the gap (0: none) */
  readonly lastSeq: number
  /** the epoch the stream goes on in */
  readonly epoch: string
}

/** Whether a stream item is a gap (rather than an event of the stream). */
export const isStreamGap = (item: { readonly type: string }): item is StreamGap => item.type === "stream_gap"

/** What a connection's greeting says about the stream (`connection_established`). */
export interface Greeting {
  readonly epoch: string
  readonly last_seq: number
}

/** The payload of the `resume` a connection starts with. */
export interface ResumeRequest {
  readonly last_seq: number
  readonly epoch: string
}

/** A resume's ack result (`{replayed, gap, epoch}`). */
export interface ResumeResult {
  readonly gap: boolean
}

/** What a cursor may hold past a hole while a resume replays; past either, {@link StreamCursor.receive} says `"overflow"`. */
export interface HeldLimits {
  readonly maxHeldEvents: number
  readonly maxHeldBytes: number
}

/** The stream's cursor: one per client, fed by each of its connections in turn. */
export class StreamCursor<E extends { readonly seq: number }> {
  private epoch: string | undefined
  private lastSeq = 0
  private greetedSeq = 0
  // between a connection's greeting and its resume ack: the replay may start past a hole
  private resuming = false
  private gapThisResume = false
  private readonly held = new Map<number, { readonly event: E; readonly bytes: number }>()
  private heldBytes = 0

  constructor(
    from?: StreamPosition,
    private readonly limits: HeldLimits = { maxHeldEvents: Number.POSITIVE_INFINITY, maxHeldBytes: Number.POSITIVE_INFINITY }
  ) {
    if (from !== undefined) {
      this.epoch = from.epoch
      this.lastSeq = from.lastSeq
    }
  }

  /** The last event delivered, once the first connection was greeted. */
  get position(): StreamPosition | undefined {
    return this.epoch === undefined ? undefined : { epoch: this.epoch, lastSeq: this.lastSeq }
  }

  /**
   * A connection was greeted: what it resumes from, and a gap when the
   * greeting already shows one. A first connection starts at the stream's
   * latest seq: the cursor delivers what happens from then on.
   */
  greet(greeting: Greeting): { readonly resume: ResumeRequest; readonly items: Array<E | StreamGap> } {
    this.clearHeld()
    this.resuming = true
    this.gapThisResume = false
    this.greetedSeq = greeting.last_seq
    const items: Array<E | StreamGap> = []
    if (this.epoch === undefined) {
      this.epoch = greeting.epoch
      this.lastSeq = greeting.last_seq
    } else if (this.epoch !== greeting.epoch) {
      // every event the new epoch holds is new to this client: take them from seq 1
      items.push(this.gap("EpochChanged", greeting.epoch))
      this.epoch = greeting.epoch
      this.lastSeq = 0
    } else if (greeting.last_seq < this.lastSeq) {
      items.push(this.gap("AheadOfStream", greeting.epoch))
      this.lastSeq = greeting.last_seq
    }
    return { resume: { last_seq: this.lastSeq, epoch: this.epoch }, items }
  }

  /**
   * A stream event arrived (`bytes`: its frame's size): what to deliver now,
   * in order (nothing for a duplicate). `"overflow"` when holding it would
   * pass the limits: what was held is dropped, and the connection must end
   * (the next one's resume fetches it again from the last seq delivered).
   */
  receive(event: E, bytes = 0): Array<E | StreamGap> | "overflow" {
    if (event.seq <= this.lastSeq) return []
    if (event.seq === this.lastSeq + 1) return this.deliver(event, [])
    if (this.resuming) {
      // what follows a hole waits for the replay to fill it, or for the ack to say it will not
      this.heldBytes += bytes - (this.held.get(event.seq)?.bytes ?? 0)
      this.held.set(event.seq, { event, bytes })
      if (this.held.size > this.limits.maxHeldEvents || this.heldBytes > this.limits.maxHeldBytes) {
        this.clearHeld()
        return "overflow"
      }
      return []
    }
    return this.deliver(event, [this.gap("HistoryTruncated", this.epoch!)])
  }

  /** The connection's resume was acknowledged: the replay is over; what was held past a hole goes now. */
  resumed(result: ResumeResult): Array<E | StreamGap> {
    this.resuming = false
    const items: Array<E | StreamGap> = []
    for (const seq of Array.from(this.held.keys()).sort((a, b) => a - b)) {
      const entry = this.held.get(seq)
      this.held.delete(seq)
      // already delivered (a run that followed an earlier one)
      if (entry === undefined || seq <= this.lastSeq) continue
      if (seq > this.lastSeq + 1) items.push(this.gap("HistoryTruncated", this.epoch!))
      this.deliver(entry.event, items)
    }
    this.clearHeld()
    if (result.gap && !this.gapThisResume) {
      // nothing was replayed past the hole: what the greeting counted is gone
      items.push(this.gap("HistoryTruncated", this.epoch!))
      this.lastSeq = Math.max(this.lastSeq, this.greetedSeq)
    }
    return items
  }

  /** The connection ended: what was held is replayed to the next one. */
  disconnected(): void {
    this.clearHeld()
    this.resuming = false
  }

  private clearHeld(): void {
    this.held.clear()
    this.heldBytes = 0
  }

  private deliver(event: E, items: Array<E | StreamGap>): Array<E | StreamGap> {
    items.push(event)
    this.lastSeq = event.seq
    for (let next = this.held.get(this.lastSeq + 1); next !== undefined; next = this.held.get(this.lastSeq + 1)) {
      this.held.delete(next.event.seq)
      this.heldBytes -= next.bytes
      items.push(next.event)
      this.lastSeq = next.event.seq
    }
    return items
  }

  private gap(reason: StreamGap["reason"], epoch: string): StreamGap {
    this.gapThisResume = true
    return { type: "stream_gap", reason, previousEpoch: this.epoch!, lastSeq: this.lastSeq, epoch }
  }
}
