import { Effect } from "effect"
import { FrameError } from "../protocol/FrameError.js"
import { ClientRequests } from "../protocol/ClientRequests.js"
import type { BatchEntry } from "../protocol/Results.js"
import { Dispatch } from "./Dispatch.js"
import * as Handler from "./Handler.js"

/**
 * `batch {messages}`: 1–100 frames processed in order, each through dedupe and
 * its handler like a frame of its own, answered only in the batch's ack.
 * A nested batch (or a frame that may not be batched) rejects the whole batch.
 */
export const batch = Handler.make("batch", {
  ...ClientRequests.batch,
  batchable: false,
  handle: ({ messages }) =>
    Effect.gen(function*() {
      const dispatch = yield* Dispatch
      for (let i = 0; i < messages.length; i++) {
        const message = messages[i]
        const type = typeof message === "object" && message !== null ? (message as { type?: unknown }).type : undefined
        if (typeof type === "string" && !dispatch.batchable(type)) {
          return yield* FrameError.invalidMessage(
            `a batch cannot contain "${type}"`,
            ["payload", "messages", i, "type"],
            "a type that can be batched"
          )
        }
      }
      const results: Array<BatchEntry> = []
      for (const message of messages) {
        const { id, outcome } = yield* dispatch.dispatchValue(message)
        const entry: BatchEntry = outcome.status === "error"
          ? { status: "error", code: outcome.error.code }
          : { status: outcome.status, result: outcome.result }
        results.push(id === undefined ? entry : { id, ...entry })
      }
      return { results }
    })
})
