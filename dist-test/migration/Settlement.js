import { Context, Duration, Effect, Fiber } from "effect";
import { CurrentFrame } from "../router/FrameContext.js";
class Tracker {
  fibers = [];
  /** Remembers a fiber of this call's background work. */
  track(fiber) {
    this.fibers.push(fiber);
  }
  /** Completes once every tracked fiber has ended. */
  get done() {
    return Effect.suspend(() => Effect.asVoid(Fiber.awaitAll(this.fibers.slice())));
  }
}
class Settlement extends Context.Tag("switchyard/migration/Settlement")() {
}
const REPLY_WAIT = Duration.seconds(60);
const afterReply = (work) => Effect.gen(function* () {
  const frame = yield* CurrentFrame;
  const tracker = yield* Effect.serviceOption(Settlement);
  const fiber = yield* Effect.forkDaemon(
    frame.replied.pipe(Effect.timeout(REPLY_WAIT), Effect.ignore, Effect.zipRight(work))
  );
  if (tracker._tag === "Some") tracker.value.track(fiber);
});
export {
  Settlement,
  Tracker,
  afterReply
};
//# sourceMappingURL=Settlement.js.map
