import { CloseCode } from "../protocol/ErrorCode.js";
class Connection {
  constructor(id, userId, ws, limits, openedSeq, resumeWindowMs, onSlowConsumer) {
    this.id = id;
    this.userId = userId;
    this.ws = ws;
    this.limits = limits;
    this.openedSeq = openedSeq;
    this.resumeWindowMs = resumeWindowMs;
    this.onSlowConsumer = onSlowConsumer;
    this.delivered = openedSeq;
  }
  id;
  userId;
  ws;
  limits;
  openedSeq;
  resumeWindowMs;
  onSlowConsumer;
  /** the highest seq sent on this connection in stream order: never sent live again */
  delivered;
  held = void 0;
  holdTimer = void 0;
  pendingFrames = 0;
  closing = false;
  corked = false;
  /** heartbeat: a ping is out and no pong has come back yet */
  awaitingPong = false;
  /** heartbeat: consecutive pings left unanswered */
  missedPongs = 0;
  /** Still open and writable? */
  get isOpen() {
    return !this.closing && this.ws.readyState === 1;
  }
  /** Sends a frame that is not part of the stream (ack, error, pong, typing, greeting). */
  send(frame) {
    if (this.closing) return;
    this.corkUntilNextTick();
    this.pendingFrames++;
    this.ws.send(frame, this.onWritten);
    if (this.ws.bufferedAmount > this.limits.maxBufferedBytes || this.pendingFrames > this.limits.maxBufferedFrames) {
      this.onSlowConsumer();
      this.close(CloseCode.slowConsumer, "slow consumer");
    }
  }
  /** Delivers one stream event live, unless a replay covers it or it is held for a resume. */
  deliver(entry) {
    if (entry.seq <= this.delivered) return;
    if (this.held !== void 0) {
      this.held.push(entry);
      if (this.holdTimer === void 0) {
        this.holdTimer = setTimeout(() => this.releaseHeld(), this.resumeWindowMs);
        this.holdTimer.unref();
      }
      return;
    }
    this.delivered = entry.seq;
    this.send(entry.frame);
  }
  /** Starts holding live events until the first client frame (or the window ends). */
  holdForResume() {
    if (this.resumeWindowMs > 0) this.held = [];
  }
  /** The client sent a frame that is not a resume: nothing to wait for any more. */
  releaseHeld() {
    const held = this.held;
    if (held === void 0) return;
    this.releaseTimer();
    for (const entry of held) this.deliver(entry);
  }
  /**
   * Replays every held event after `lastSeq` (PROTOCOL §6: at-least-once on
   * the wire). While live events are still held for this resume nothing newer
   * went out yet, so the replay is exactly what the client missed, in order.
   */
  resume(lastSeq, currentSeq, history, oldestSeq) {
    this.releaseTimer();
    const replay = history(lastSeq, currentSeq);
    for (const entry of replay) this.send(entry.frame);
    this.delivered = Math.max(this.delivered, currentSeq);
    const gap = lastSeq < currentSeq && (oldestSeq === void 0 || oldestSeq > lastSeq + 1);
    return { replayed: replay.length, gap };
  }
  /** Closes with `code`; no frame is sent after this. */
  close(code, reason) {
    if (this.closing) return;
    this.closing = true;
    this.releaseTimer();
    if (this.ws.readyState === 0 || this.ws.readyState === 1) this.ws.close(code, reason);
  }
  /** Drops the socket without a closing handshake (a peer that does not answer). */
  terminate() {
    this.closing = true;
    this.releaseTimer();
    this.ws.terminate();
  }
  /** Sends a heartbeat ping. */
  ping() {
    if (this.closing) return;
    this.awaitingPong = true;
    this.ws.ping();
  }
  /** The peer answered a ping. */
  onPong = () => {
    this.awaitingPong = false;
    this.missedPongs = 0;
  };
  /**
   * Coalesces the frames written in one tick (a burst of acks, a fan-out)
   * into one syscall instead of one `writev` each — that syscall was the
   * largest single cost of an ack. `ws` has no API for it; its socket does.
   */
  corkUntilNextTick() {
    if (this.corked) return;
    const socket = this.ws._socket;
    if (socket === void 0) return;
    this.corked = true;
    socket.cork();
    process.nextTick(() => {
      this.corked = false;
      socket.uncork();
    });
  }
  releaseTimer() {
    if (this.holdTimer !== void 0) clearTimeout(this.holdTimer);
    this.holdTimer = void 0;
    this.held = void 0;
  }
  onWritten = () => {
    this.pendingFrames--;
  };
}
export {
  Connection
};
//# sourceMappingURL=Connection.js.map
