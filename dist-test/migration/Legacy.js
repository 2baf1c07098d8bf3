import { Effect, Schema } from "effect";
import { FrameError } from "../protocol/FrameError.js";
import { CurrentFrame } from "../router/FrameContext.js";
import * as Handler from "../router/Handler.js";
import { Emitter } from "../session/Emitter.js";
import { UserContext } from "../session/UserContext.js";
import { afterReply } from "./Settlement.js";
const toAckResult = (value) => value ?? {};
const deliverAfterReply = (events) => events.length === 0 ? Effect.void : Effect.flatMap(
  Emitter,
  (emitter) => afterReply(Effect.forEach(events, (event) => emitter.emit(event), { discard: true }))
);
const failureOf = (error) => error instanceof FrameError ? error : FrameError.handlerFailed(
  `legacy handler failed: ${error instanceof Error ? error.message : String(error)}`
);
const fromPromise = (type, run, options = {}) => Handler.make(type, {
  payload: options.payload ?? Schema.Unknown,
  handle: (payload) => Effect.gen(function* () {
    const user = yield* UserContext;
    const frame = yield* CurrentFrame;
    const queued = [];
    let open = true;
    const result = yield* Effect.tryPromise({
      try: (signal) => run(user.userId, payload, {
        id: frame.id,
        signal,
        emit: (event) => {
          if (open) queued.push(event);
        }
      }),
      catch: failureOf
    }).pipe(Effect.ensuring(Effect.sync(() => open = false)));
    yield* deliverAfterReply(queued);
    return toAckResult(result);
  })
});
export {
  deliverAfterReply,
  fromPromise,
  toAckResult
};
//# sourceMappingURL=Legacy.js.map
