import { Context, Deferred, Effect, FiberId } from "effect";
class CurrentConnection extends Context.Tag("switchyard/CurrentConnection")() {
}
class CurrentFrame extends Context.Tag("switchyard/CurrentFrame")() {
}
class FrameTicket {
  constructor(id) {
    this.id = id;
  }
  id;
  deferred = void 0;
  done = false;
  afterReply = [];
  /** Completes once the frame has been answered. */
  get replied() {
    if (this.done) return Effect.void;
    if (this.deferred === void 0) this.deferred = Deferred.unsafeMake(FiberId.none);
    return Deferred.await(this.deferred);
  }
  /** Runs `f` right after the reply is sent (e.g. `disconnect` closing the socket). */
  onReplied(f) {
    if (this.done) f();
    else this.afterReply.push(f);
  }
  /** Called by the connection once the reply is on the wire. */
  markReplied() {
    if (this.done) return;
    this.done = true;
    if (this.deferred !== void 0) Deferred.unsafeDone(this.deferred, Effect.void);
    for (const f of this.afterReply) f();
  }
}
export {
  CurrentConnection,
  CurrentFrame,
  FrameTicket
};
//# sourceMappingURL=FrameContext.js.map
