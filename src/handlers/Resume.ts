import { Effect } from "effect"
import { ClientRequests } from "../protocol/ClientRequests.js"
import { arrivalCost, UserRateLimit } from "../resilience/UserRateLimit.js"
import { CurrentStream } from "../state/CurrentStream.js"
import { CurrentUser } from "../state/CurrentUser.js"
import { CurrentClient } from "./FrameContext.js"
import * as Handler from "./Handler.js"

/**
 * `resume {last_seq, epoch?}`: replays what the client missed, in order, then
 * acks `{replayed, gap, epoch}`. The replay is paid from the user's message
 * budget by its size, as if the client had sent it (PROTOCOL §10: a small
 * frame must not buy megabytes of output, or of history reads, over and
 * over). It is always sent — a client must be able to catch up — and may put
 * the budget in debt: the user's next frames are then `RATE_LIMITED` until it
 * is paid back, so the next resume is refused before any history is read.
 */
export const resume = Handler.make("resume", {
  ...ClientRequests.resume,
  handle: ({ epoch, last_seq }) =>
    Effect.gen(function*() {
      const stream = yield* CurrentStream
      const client = yield* CurrentClient
      const { userId } = yield* CurrentUser
      const rateLimit = yield* UserRateLimit
      return yield* stream.resumeClient(
        client.connectionId,
        { lastSeq: last_seq, epoch },
        (chars) => {
          if (chars > 0) rateLimit.charge(userId, arrivalCost(chars))
        }
      )
    })
})
