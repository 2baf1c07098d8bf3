import { Effect } from "effect";
const bounded = (turns, bounds) => {
  let chars = 0;
  let start = turns.length;
  while (start > 0 && turns.length - start < bounds.maxTurns) {
    const turn = turns[start - 1];
    const size = turn.user.length + turn.assistant.length;
    if (chars + size > bounds.maxChars) break;
    chars += size;
    start--;
  }
  return turns.slice(start);
};
class Conversations {
  constructor(options) {
    this.options = options;
  }
  options;
  // a Map keeps insertion order: re-inserting on use makes its first key the least recently used
  threads = /* @__PURE__ */ new Map();
  /** The thread's previous turns to send to a model, oldest first, within the bounds. */
  history(threadId) {
    return Effect.sync(() => bounded(this.threads.get(threadId) ?? [], this.options));
  }
  /** Appends a finished turn to the thread, forgetting what falls outside the bounds. */
  record(threadId, turn) {
    return Effect.sync(() => {
      if (this.options.maxTurns <= 0 || this.options.maxThreads <= 0) return;
      const turns = this.threads.get(threadId) ?? [];
      this.threads.delete(threadId);
      turns.push(turn);
      if (turns.length > this.options.maxTurns) turns.splice(0, turns.length - this.options.maxTurns);
      this.threads.set(threadId, turns);
      for (const oldest of this.threads.keys()) {
        if (this.threads.size <= this.options.maxThreads) break;
        this.threads.delete(oldest);
      }
    });
  }
  /** How many threads are remembered. */
  get size() {
    return this.threads.size;
  }
}
export {
  Conversations,
  bounded
};
//# sourceMappingURL=Conversations.js.map
