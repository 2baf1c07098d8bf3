import { Deferred, Effect, FiberId, Option } from "effect";
class Entry {
  constructor(id) {
    this.id = id;
  }
  id;
  done = false;
  result = void 0;
  at = 0;
  // made only when a concurrent duplicate has to wait for the outcome (rare)
  outcome = void 0;
}
const NEW = { _tag: "New" };
class DedupeStore {
  constructor(options) {
    this.options = options;
  }
  options;
  entries = /* @__PURE__ */ new Map();
  /** claims, oldest first: eviction pops from `head` (a Map's oldest key is slow to reach once many were deleted) */
  order = [];
  head = 0;
  /**
   * Claims `id` for processing (`New`), or returns its first result
   * (`Duplicate`); `undefined` while another claim of it is still running —
   * `begin` waits for that one.
   */
  claim(id) {
    const entry = this.entries.get(id);
    if (entry === void 0) {
      const claimed = new Entry(id);
      this.entries.set(id, claimed);
      this.order.push(claimed);
      return NEW;
    }
    return entry.done ? { _tag: "Duplicate", result: entry.result } : void 0;
  }
  /**
   * Ends a claim: a success is remembered (at `nowMs`), a failure forgotten so
   * that a retry is processed again. Wakes a concurrent duplicate either way.
   */
  settle(id, success, nowMs) {
    const entry = this.entries.get(id);
    if (entry === void 0 || entry.done) return;
    if (success === void 0) this.entries.delete(id);
    else {
      entry.done = true;
      entry.result = success.result;
      entry.at = nowMs;
    }
    if (entry.outcome !== void 0) {
      Deferred.unsafeDone(entry.outcome, Effect.succeed(success === void 0 ? Option.none() : Option.some(success.result)));
    }
    if (success !== void 0) this.evict(nowMs);
    else if (this.order.length - this.head > 2 * this.entries.size + 64) this.dropStaleClaims();
  }
  /**
   * Claims `id` for processing, or returns the first result. A concurrent
   * claim of the same id (another connection, same moment) waits for the
   * first one's outcome instead of processing twice.
   */
  begin(id) {
    return Effect.suspend(() => {
      const claim = this.claim(id);
      if (claim !== void 0) return Effect.succeed(claim);
      const entry = this.entries.get(id);
      entry.outcome ??= Deferred.unsafeMake(FiberId.none);
      return Effect.flatMap(Deferred.await(entry.outcome), (outcome) => Option.isSome(outcome) ? Effect.succeed({ _tag: "Duplicate", result: outcome.value }) : this.begin(id));
    });
  }
  /** Remembers the result of a claimed id. */
  complete(id, result) {
    return Effect.clockWith((clock) => Effect.sync(() => this.settle(id, { result }, clock.unsafeCurrentTimeMillis())));
  }
  /** Forgets a claimed id whose processing failed, so a retry is processed again. */
  release(id) {
    return Effect.sync(() => this.settle(id, void 0, 0));
  }
  /** How many ids are remembered (pending included). */
  get size() {
    return this.entries.size;
  }
  evict(nowMs) {
    while (this.head < this.order.length && this.entries.size > this.options.minEntries) {
      const entry = this.order[this.head];
      if (this.entries.get(entry.id) === entry) {
        if (!entry.done) break;
        const expired = nowMs - entry.at >= this.options.windowMs;
        if (!expired && this.entries.size <= this.options.maxEntries) break;
        this.entries.delete(entry.id);
      }
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }
  // released claims stay in `order` until eviction reaches them: bound them when failures pile up
  dropStaleClaims() {
    this.order = this.order.slice(this.head).filter((entry) => this.entries.get(entry.id) === entry);
    this.head = 0;
  }
}
export {
  DedupeStore
};
//# sourceMappingURL=Dedupe.js.map
