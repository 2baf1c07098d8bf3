import { Effect } from "effect"
import { FrameError } from "../protocol/FrameError.js"
import { Resume } from "../protocol/Payloads.js"
import { arrivalCost, UserRateLimit } from "../resilience/UserRateLimit.js"
import { CurrentStream } from "../state/CurrentStream.js"
import { CurrentUser } from "../state/CurrentUser.js"
import { CurrentClient } from "./FrameContext.js"
import * as Handler from "./Handler.js"

/**
 * `resume {last_seq, epoch?}`: replays what the client missed, in order, then
 * acks `{replayed, gap, epoch}`. The replay is paid from the user's message
 * budget by its size, as if the client had sent it (PROTOCOL §10: a small
 * frame must not buy megabytes of output over and over); one the user cannot
 * afford now is `RATE_LIMITED`, nothing replayed, and the retry is processed
 * anew (errors are not remembered).
 */
export const resume = Handler.make("resume", {
  payload: Resume,
  handle: ({ epoch, last_seq }) =>
    Effect.gen(function*() {
      const stream = yield* CurrentStream
      const client = yield* CurrentClient
      const { userId } = yield* CurrentUser
      const rateLimit = yield* UserRateLimit
      return yield* stream.resumeClient(
        client.connectionId,
        { lastSeq: last_seq, epoch },
        (chars) => chars === 0 ? 0 : rateLimit.take(userId, arrivalCost(chars))
      ).pipe(Effect.catchTag("ReplayRefused", ({ retryAfterMs }) => Effect.fail(replayRateLimited(retryAfterMs))))
    })
})

const replayRateLimited = (retryAfterMs: number): FrameError =>
  new FrameError({
    code: "RATE_LIMITED",
    message: "too much replayed lately: retry the resume later",
    details: { retry_after_ms: retryAfterMs, limit: "messages" }
  })
