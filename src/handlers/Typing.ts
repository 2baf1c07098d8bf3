import { Context, Effect } from "effect"
import { ClientRequests } from "../protocol/ClientRequests.js"
import { CurrentStream } from "../state/CurrentStream.js"
import { CurrentClient } from "./FrameContext.js"
import * as Handler from "./Handler.js"

const acked = {}

/** `typing {is_typing, thread_id?}`: relayed to the user's OTHER connections (on every node) only, no seq. */
export const typing = Handler.make("typing", {
  ...ClientRequests.typing,
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
