import { Effect } from "effect"
import { Resume } from "../protocol/Payloads.js"
import { CurrentConnection } from "./FrameContext.js"
import * as Handler from "./Handler.js"
import { UserContext } from "../state/UserContext.js"

/** `resume {last_seq, epoch?}`: replays what the client missed, in order, then acks `{replayed, gap, epoch}`. */
export const resume = Handler.make("resume", {
  payload: Resume,
  handle: ({ epoch, last_seq }) =>
    Effect.gen(function*() {
      const session = yield* UserContext
      const connection = yield* CurrentConnection
      return yield* session.stream.resume(connection, { lastSeq: last_seq, epoch })
    })
})
