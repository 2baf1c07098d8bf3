/**
 * The retained tail of a user's stream (PROTOCOL §6): every event is kept
 * while it is among the last `minEvents` OR younger than `minAgeMs`, and never
 * more than `maxEvents` in all — so a chatty user cannot grow it without bound.
 * `maxBytes` bounds the encoded frames held, and wins over both minimums
 * (PROTOCOL §10: a user with oversize events gets less history, and a resume
 * that reaches past it reports the gap).
 */
export interface HistoryOptions {
  readonly minEvents: number
  readonly minAgeMs: number
  readonly maxEvents: number
  /** UTF-8 bytes of encoded frames held at most; absent: bounded by counts only */
  readonly maxBytes?: number | undefined
}

/** One retained stream event: its seq, its encoded frame, when it was produced. */
export interface HistoryEntry {
  readonly seq: number
  readonly frame: string
  readonly at: number
}

/**
 * A ring of the latest stream events, oldest first, in seq order: what the
 * in-memory `HistoryStore` holds per user.
 */
export class History {
  // dropped slots are cleared at once, so a dropped frame is not kept alive until the next compaction
  private entries: Array<HistoryEntry | undefined> = []
  private sizes: Array<number> = []
  private head = 0
  private heldBytes = 0
  private appendedSeq = 0
  private readonly maxBytes: number

  constructor(readonly options: HistoryOptions) {
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY
  }

  /** Appends the newest event and drops what no longer has to be kept. */
  append(entry: HistoryEntry): void {
    const size = Buffer.byteLength(entry.frame, "utf8")
    this.entries.push(entry)
    this.sizes.push(size)
    this.heldBytes += size
    this.appendedSeq = entry.seq
    this.evict(entry.at)
  }

  /** The seq of the newest event appended, held or already dropped; 0 before the first. */
  get latestSeq(): number {
    return this.appendedSeq
  }

  /** How many events are held. */
  get size(): number {
    return this.entries.length - this.head
  }

  /** The UTF-8 bytes of the frames held. */
  get bytes(): number {
    return this.heldBytes
  }

  /** The seq of the oldest event held, or undefined when empty. */
  get oldestSeq(): number | undefined {
    return this.entries[this.head]?.seq
  }

  /**
   * The held events with `fromExclusive < seq <= toInclusive`, in order: at
   * most `maxEvents`, and none after the one that brings their bytes to `maxBytes`.
   */
  range(
    fromExclusive: number,
    toInclusive: number = Number.MAX_SAFE_INTEGER,
    maxEvents: number = Number.MAX_SAFE_INTEGER,
    maxBytes: number = Number.POSITIVE_INFINITY
  ): Array<HistoryEntry> {
    const out: Array<HistoryEntry> = []
    // seqs are contiguous inside the ring, so the start index is computed, not searched
    const oldest = this.oldestSeq
    if (oldest === undefined) return out
    const start = this.head + Math.max(0, fromExclusive + 1 - oldest)
    let bytes = 0
    for (let i = start; i < this.entries.length && out.length < maxEvents && bytes < maxBytes; i++) {
      const entry = this.entries[i]!
      if (entry.seq > toInclusive) break
      out.push(entry)
      bytes += this.sizes[i]!
    }
    return out
  }

  /**
   * Drops events over the byte budget, then those that are neither among the
   * last `minEvents` nor young enough. Each event is dropped once: O(1)
   * amortised per append.
   */
  evict(nowMs: number): void {
    const { maxEvents, minAgeMs, minEvents } = this.options
    while (this.size > 0) {
      if (this.heldBytes <= this.maxBytes) {
        if (this.size <= minEvents) break
        if (this.size <= maxEvents && nowMs - this.entries[this.head]!.at < minAgeMs) break
      }
      this.dropOldest()
    }
    // compact now and then, so the arrays do not grow with the dropped slots
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head)
      this.sizes = this.sizes.slice(this.head)
      this.head = 0
    }
  }

  private dropOldest(): void {
    this.heldBytes -= this.sizes[this.head]!
    this.entries[this.head] = undefined
    this.head++
  }
}
