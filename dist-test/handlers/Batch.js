import { Effect } from "effect";
import { FrameError } from "../protocol/FrameError.js";
import { Batch } from "../protocol/Payloads.js";
import { Dispatcher } from "../router/Dispatcher.js";
import * as Handler from "../router/Handler.js";
const batch = Handler.make("batch", {
  payload: Batch,
  batchable: false,
  handle: ({ messages }) => Effect.gen(function* () {
    const dispatcher = yield* Dispatcher;
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i];
      const type = typeof message === "object" && message !== null ? message.type : void 0;
      if (typeof type === "string" && !dispatcher.batchable(type)) {
        return yield* FrameError.invalidMessage(
          `a batch cannot contain "${type}"`,
          ["payload", "messages", i, "type"],
          "a type that can be batched"
        );
      }
    }
    const results = [];
    for (const message of messages) {
      const { id, outcome } = yield* dispatcher.executeValue(message);
      const entry = outcome.status === "error" ? { status: "error", code: outcome.error.code } : { status: outcome.status, result: outcome.result };
      results.push(id === void 0 ? entry : { id, ...entry });
    }
    return { results };
  })
});
export {
  batch
};
//# sourceMappingURL=Batch.js.map
