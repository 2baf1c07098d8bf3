class History {
  constructor(options) {
    this.options = options;
  }
  options;
  entries = [];
  head = 0;
  /** Appends the newest event and drops what no longer has to be kept. */
  append(entry) {
    this.entries.push(entry);
    this.evict(entry.at);
  }
  /** How many events are held. */
  get size() {
    return this.entries.length - this.head;
  }
  /** The seq of the oldest event held, or undefined when empty. */
  get oldestSeq() {
    return this.entries[this.head]?.seq;
  }
  /** The held events with `fromExclusive < seq <= toInclusive`, in order. */
  range(fromExclusive, toInclusive = Number.MAX_SAFE_INTEGER) {
    const out = [];
    const oldest = this.oldestSeq;
    if (oldest === void 0) return out;
    const start = this.head + Math.max(0, fromExclusive + 1 - oldest);
    for (let i = start; i < this.entries.length; i++) {
      const entry = this.entries[i];
      if (entry.seq > toInclusive) break;
      out.push(entry);
    }
    return out;
  }
  /** Drops events that are neither among the last `minEvents` nor young enough. */
  evict(nowMs) {
    const { maxEvents, minAgeMs, minEvents } = this.options;
    while (this.size > minEvents) {
      const oldest = this.entries[this.head];
      if (this.size <= maxEvents && nowMs - oldest.at < minAgeMs) break;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
export {
  History
};
//# sourceMappingURL=History.js.map
