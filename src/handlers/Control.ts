import { Effect, Metric } from "effect"
import { ClientRequests } from "../protocol/ClientRequests.js"
import { CurrentFrame } from "./FrameContext.js"
import * as Handler from "./Handler.js"
import { boundedJson } from "../observability/BoundedJson.js"
import { ClientErrorLog } from "./ClientErrorLog.js"
import * as Metrics from "../observability/Metrics.js"
import { CurrentUser } from "../state/CurrentUser.js"

/** `ping` → `pong` (with the frame's id), never an ack, never deduplicated. */
export const ping = Handler.make("ping", {
  ...ClientRequests.ping,
  handle: () => Effect.succeed({})
})

/**
 * `error {message, details?}`: a client-side error report, counted, and
 * logged within the user's share of the process's budget (`ClientErrorLog`) as a bounded summary:
 * the message's first characters and at most a few hundred of the details' JSON.
 */
export const clientError = Handler.make("error", {
  ...ClientRequests.error,
  handle: ({ details, message }) =>
    Effect.gen(function*() {
      yield* Metric.increment(Metrics.clientErrors)
      const log = yield* ClientErrorLog
      const { userId } = yield* CurrentUser
      const skipped = log.admit(userId)
      if (skipped === undefined) return {}
      yield* Effect.logWarning("client reported an error", {
        message: message.length > MESSAGE_CHARS ? `${message.slice(0, MESSAGE_CHARS)}…` : message,
        details: details === undefined ? undefined : boundedJson(details, DETAILS_BUDGET),
        ...(skipped > 0 ? { reports_not_logged: skipped } : {})
      })
      return {}
    })
})

const MESSAGE_CHARS = 300
const DETAILS_BUDGET = { maxChars: 300, maxDepth: 6 }

/** `disconnect`: acked with `{}`, then the server closes with 1000. */
export const disconnect = Handler.make("disconnect", {
  ...ClientRequests.disconnect,
  batchable: false,
  handle: () =>
    Effect.map(CurrentFrame, (frame) => {
      frame.closeAfterReply("client asked to disconnect")
      return {}
    })
})
