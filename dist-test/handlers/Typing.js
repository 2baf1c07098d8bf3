import { Effect } from "effect";
import { Typing } from "../protocol/Payloads.js";
import * as ServerFrame from "../protocol/ServerFrame.js";
import { CurrentConnection } from "../router/FrameContext.js";
import * as Handler from "../router/Handler.js";
import { UserContext } from "../session/UserContext.js";
const typing = Handler.make("typing", {
  payload: Typing,
  handle: ({ is_typing, thread_id }) => Effect.gen(function* () {
    const session = yield* UserContext;
    const sender = yield* CurrentConnection;
    let frame;
    for (const connection of session.stream.connections) {
      if (connection === sender) continue;
      frame ??= ServerFrame.notice("typing", { is_typing, thread_id, connection_id: sender.id });
      connection.send(frame);
    }
    return {};
  })
});
export {
  typing
};
//# sourceMappingURL=Typing.js.map
