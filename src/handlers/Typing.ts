import { Context, Effect } from "effect"
import { ClientRequests } from "../protocol/ClientRequests.js"
import { CurrentStream } from "../state/CurrentStream.js"
import { CurrentClient } from "./FrameContext.js"
import * as Handler from "./Handler.js"

const acked = {}

/**
 * `typing {is_typing, thread_id?}`: relayed to the user's OTHER connections
 * (on every node) only, no seq. Its ack is always `{}`, so a frame with an
 * id is remembered in one dedupe step (`fixedResult`): in cluster mode one
 * Redis script and the relay's PUBLISH, not two scripts and two PUBLISHes.
 */
export const typing = Handler.make("typing", {
  ...ClientRequests.typing,
  fixedResult: acked,
  handle: ({ is_typing, thread_id }) =>
    // one context read instead of a generator: typing is the hottest acknowledged frame
    Effect.contextWithEffect((context: Context.Context<CurrentStream | CurrentClient>) => {
      const { connectionId } = Context.get(context, CurrentClient)
      return Effect.as(
        Context.get(context, CurrentStream).signal(connectionId, "typing", { is_typing, thread_id, connection_id: connectionId }),
        acked
      )
    })
})
