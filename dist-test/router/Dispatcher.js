import { Cause, Context, Effect, Either, Layer, Option } from "effect";
import { decodeValue } from "../protocol/ClientFrame.js";
import { FrameError } from "../protocol/FrameError.js";
import { UserContext } from "../session/UserContext.js";
import { Router } from "./Router.js";
class Dispatcher extends Context.Tag("switchyard/Dispatcher")() {
  /** The dispatcher of the router in context. */
  static layer = Layer.effect(
    Dispatcher,
    Effect.map(Router, (router) => {
      const execute = (frame) => {
        const handler = router.lookup(frame.type);
        if (handler === void 0) {
          return Effect.succeed(failure(
            new FrameError({
              code: "UNKNOWN_TYPE",
              message: `no handler for message type "${frame.type}"`,
              details: { type: frame.type }
            })
          ));
        }
        const id = frame.id;
        if (id === void 0 || handler.reply === "pong") return run(handler, frame.payload);
        return Effect.flatMap(UserContext, ({ dedupe }) => {
          const claim = dedupe.claim(id);
          if (claim === void 0) return waitForClaim(dedupe, id, handler, frame.payload);
          if (claim._tag === "Duplicate") return Effect.succeed(duplicate(claim.result, handler));
          return settled(dedupe, id, run(handler, frame.payload));
        });
      };
      return {
        execute,
        batchable: (type) => router.lookup(type)?.batchable ?? true,
        executeValue: (value) => {
          const decoded = decodeValue(value);
          return Either.isLeft(decoded) ? Effect.succeed({ id: decoded.left.id, outcome: failure(decoded.left.error) }) : Effect.map(execute(decoded.right), (outcome) => ({ id: decoded.right.id, outcome }));
        }
      };
    })
  );
}
const failure = (error) => ({ status: "error", error });
const duplicate = (result, handler) => ({
  status: "duplicate",
  result,
  reply: handler.reply
});
const waitForClaim = (dedupe, id, handler, payload) => Effect.flatMap(dedupe.begin(id), (claim) => claim._tag === "Duplicate" ? Effect.succeed(duplicate(claim.result, handler)) : settled(dedupe, id, run(handler, payload)));
const settled = (dedupe, id, outcome) => Effect.clockWith(
  (clock) => Effect.map(outcome, (outcome2) => {
    dedupe.settle(id, outcome2.status === "error" ? void 0 : outcome2, clock.unsafeCurrentTimeMillis());
    return outcome2;
  })
);
const run = (handler, payload) => (
  // the Router's Layer required every service of its handlers; the connection provides them
  Effect.matchCauseEffect(handler.run(payload), {
    onSuccess: (result) => Effect.succeed({ status: "ok", result, reply: handler.reply }),
    onFailure: (cause) => {
      const failed = Cause.failureOption(cause);
      if (Option.isSome(failed)) return Effect.succeed(failure(failed.value));
      if (Cause.isInterruptedOnly(cause)) {
        return Effect.succeed(failure(new FrameError({ code: "UNAVAILABLE", message: "the handler was interrupted" })));
      }
      return Effect.as(
        Effect.logError("handler died", cause),
        failure(new FrameError({ code: "INTERNAL", message: "internal error" }))
      );
    }
  })
);
export {
  Dispatcher
};
//# sourceMappingURL=Dispatcher.js.map
