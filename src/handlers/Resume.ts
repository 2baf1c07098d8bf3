import { Effect } from "effect"
import { Resume } from "../protocol/Payloads.js"
import { CurrentStream } from "../state/CurrentStream.js"
import { CurrentClient } from "./FrameContext.js"
import * as Handler from "./Handler.js"

/** `resume {last_seq, epoch?}`: replays what the client missed, in order, then acks `{replayed, gap, epoch}`. */
export const resume = Handler.make("resume", {
  payload: Resume,
  handle: ({ epoch, last_seq }) =>
    Effect.gen(function*() {
      const stream = yield* CurrentStream
      const client = yield* CurrentClient
      return yield* stream.resumeClient(client.connectionId, { lastSeq: last_seq, epoch })
    })
})
