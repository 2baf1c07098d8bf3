import { Effect } from "effect";
import { Resume } from "../protocol/Payloads.js";
import { CurrentConnection } from "../router/FrameContext.js";
import * as Handler from "../router/Handler.js";
import { UserContext } from "../session/UserContext.js";
const resume = Handler.make("resume", {
  payload: Resume,
  handle: ({ last_seq }) => Effect.gen(function* () {
    const session = yield* UserContext;
    const connection = yield* CurrentConnection;
    return yield* session.stream.resume(connection, last_seq);
  })
});
export {
  resume
};
//# sourceMappingURL=Resume.js.map
