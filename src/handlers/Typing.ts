import { Context, Effect } from "effect"
import { Typing } from "../protocol/Payloads.js"
import { CurrentStream } from "../state/CurrentStream.js"
import { CurrentClient } from "./FrameContext.js"
import * as Handler from "./Handler.js"

/** `typing {is_typing, thread_id?}`: relayed to the user's OTHER connections only, no seq. */
export const typing = Handler.make("typing", {
  payload: Typing,
  handle: ({ is_typing, thread_id }) =>
    // one context read instead of a generator: typing is the hottest acknowledged frame
    Effect.contextWith((context: Context.Context<CurrentStream | CurrentClient>) => {
      const { connectionId } = Context.get(context, CurrentClient)
      Context.get(context, CurrentStream).signal(connectionId, "typing", { is_typing, thread_id, connection_id: connectionId })
      return {}
    })
})
