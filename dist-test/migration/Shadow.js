import { Effect } from "effect";
import { RunRegistry } from "../agent/Runs.js";
import { LifecycleState } from "../Lifecycle.js";
import { AlertSubscription } from "../quality/AlertSubscription.js";
import { Connection } from "../session/Connection.js";
import { Conversations } from "../session/Conversations.js";
import { DedupeStore } from "../session/Dedupe.js";
import { UserStream } from "../session/UserStream.js";
class Recorder {
  /** what was emitted, in order, until `close` */
  events = [];
  open = true;
  waiters = /* @__PURE__ */ new Set();
  /** An emitter recording every event, and forwarding it to `forward` if given. */
  emitter(forward) {
    return {
      emit: (event) => {
        const record = Effect.sync(() => this.record(event));
        return forward === void 0 ? record : Effect.zipRight(forward.emit(event), record);
      }
    };
  }
  /** Stops recording (the forwarding emitter keeps forwarding: a live run outlives the comparison). */
  close() {
    this.open = false;
    this.waiters.clear();
  }
  /** Completes once `predicate` holds for the recorded events (checked on every new event). */
  waitUntil(predicate) {
    return Effect.async((resume) => {
      const check = () => {
        if (!predicate(this.events)) return false;
        resume(Effect.void);
        return true;
      };
      if (check()) return;
      this.waiters.add(check);
      return Effect.sync(() => void this.waiters.delete(check));
    });
  }
  record(event) {
    if (!this.open) return;
    this.events.push(event);
    for (const waiter of this.waiters) if (waiter()) this.waiters.delete(waiter);
  }
}
const runIdOf = (event) => {
  if (event.run_id !== void 0) return event.run_id;
  const nested = event.payload.run_id;
  return typeof nested === "string" ? nested : void 0;
};
const runsFinished = (result, events) => {
  const open = /* @__PURE__ */ new Set();
  const resultRun = typeof result === "object" && result !== null ? result.run_id : void 0;
  if (typeof resultRun === "string") open.add(resultRun);
  for (const event of events) {
    const runId = runIdOf(event);
    if (runId !== void 0) open.add(runId);
  }
  for (const event of events) {
    if (event.type === "agent_completed") {
      const runId = runIdOf(event);
      if (runId !== void 0) open.delete(runId);
    }
  }
  return open.size === 0;
};
const throwawaySession = (real, fibers) => ({
  userId: real.userId,
  stream: new UserStream({ minEvents: 0, minAgeMs: 0, maxEvents: 1e3 }),
  runs: new RunRegistry(real.userId, fibers, 100, new LifecycleState()),
  dedupe: new DedupeStore({ windowMs: 6e4, minEntries: 0, maxEntries: 1e3 }),
  qualityAlert: new AlertSubscription(),
  conversations: new Conversations(real.conversations.options)
});
const deadSocket = {
  readyState: 3,
  CLOSED: 3,
  bufferedAmount: 0,
  send: () => {
  },
  close: () => {
  },
  terminate: () => {
  },
  ping: () => {
  }
};
const detachedConnection = (userId) => (
  // the shape `Connection` uses of a ws socket; nothing is ever written to a real one
  new Connection(`shadow-${userId}`, userId, deadSocket, {
    maxBufferedBytes: Number.MAX_SAFE_INTEGER,
    maxBufferedFrames: Number.MAX_SAFE_INTEGER
  }, 0, 0, () => {
  })
);
export {
  Recorder,
  detachedConnection,
  runsFinished,
  throwawaySession
};
//# sourceMappingURL=Shadow.js.map
