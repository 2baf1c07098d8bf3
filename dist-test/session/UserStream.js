import { Effect } from "effect";
import * as ServerFrame from "../protocol/ServerFrame.js";
import { History } from "./History.js";
class UserStream {
  seq = 0;
  history;
  connections = /* @__PURE__ */ new Set();
  constructor(historyOptions) {
    this.history = new History(historyOptions);
  }
  /** The latest seq of the stream, 0 before the first event. */
  get lastSeq() {
    return this.seq;
  }
  /** Appends an event to the stream and fans it out; returns its seq. */
  publish(event) {
    return Effect.clockWith(
      (clock) => Effect.sync(() => {
        const at = clock.unsafeCurrentTimeMillis();
        const seq = ++this.seq;
        const entry = { seq, at, frame: ServerFrame.streamEvent(seq, event, new Date(at).toISOString()) };
        this.history.append(entry);
        for (const connection of this.connections) connection.deliver(entry);
        return seq;
      })
    );
  }
  /** Replays to `connection` what a client that saw up to `lastSeq` missed. */
  resume(connection, lastSeq) {
    return Effect.clockWith(
      (clock) => Effect.sync(() => {
        this.history.evict(clock.unsafeCurrentTimeMillis());
        return connection.resume(
          lastSeq,
          this.seq,
          (from, to) => this.history.range(from, to),
          this.history.oldestSeq
        );
      })
    );
  }
}
export {
  UserStream
};
//# sourceMappingURL=UserStream.js.map
