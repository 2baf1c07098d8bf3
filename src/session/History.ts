/**
 * The retained tail of a user's stream (PROTOCOL §6): every event is kept
 * while it is among the last `minEvents` OR younger than `minAgeMs`, and never
 * more than `maxEvents` in all — so a chatty user cannot grow it without bound.
 */
export interface HistoryOptions {
  readonly minEvents: number
  readonly minAgeMs: number
  readonly maxEvents: number
}

/** One retained stream event: its seq, its encoded frame, when it was produced. */
export interface HistoryEntry {
  readonly seq: number
  readonly frame: string
  readonly at: number
}

/** A ring of the latest stream events, oldest first, in seq order. */
export class History {
  private entries: Array<HistoryEntry> = []
  private head = 0

  constructor(readonly options: HistoryOptions) {}

  /** Appends the newest event and drops what no longer has to be kept. */
  append(entry: HistoryEntry): void {
    this.entries.push(entry)
    this.evict(entry.at)
  }

  /** How many events are held. */
  get size(): number {
    return this.entries.length - this.head
  }

  /** The seq of the oldest event held, or undefined when empty. */
  get oldestSeq(): number | undefined {
    return this.entries[this.head]?.seq
  }

  /** The held events with `fromExclusive < seq <= toInclusive`, in order. */
  range(fromExclusive: number, toInclusive: number = Number.MAX_SAFE_INTEGER): Array<HistoryEntry> {
    const out: Array<HistoryEntry> = []
    // seqs are contiguous inside the ring, so the start index is computed, not searched
    const oldest = this.oldestSeq
    if (oldest === undefined) return out
    const start = this.head + Math.max(0, fromExclusive + 1 - oldest)
    for (let i = start; i < this.entries.length; i++) {
      const entry = this.entries[i]!
      if (entry.seq > toInclusive) break
      out.push(entry)
    }
    return out
  }

  /** Drops events that are neither among the last `minEvents` nor young enough. */
  evict(nowMs: number): void {
    const { maxEvents, minAgeMs, minEvents } = this.options
    while (this.size > minEvents) {
      const oldest = this.entries[this.head]!
      if (this.size <= maxEvents && nowMs - oldest.at < minAgeMs) break
      this.head++
    }
    // compact now and then so dropped entries can be collected
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head)
      this.head = 0
    }
  }
}
