import { Context, Effect } from "effect"
import { Typing } from "../protocol/Payloads.js"
import * as ServerFrame from "../protocol/ServerFrame.js"
import { CurrentConnection } from "./FrameContext.js"
import * as Handler from "./Handler.js"
import { UserContext } from "../state/UserContext.js"

/** `typing {is_typing, thread_id?}`: relayed to the user's OTHER connections only, no seq. */
export const typing = Handler.make("typing", {
  payload: Typing,
  handle: ({ is_typing, thread_id }) =>
    // one context read instead of a generator: typing is the hottest acknowledged frame
    Effect.contextWith((context: Context.Context<UserContext | CurrentConnection>) => {
      const session = Context.get(context, UserContext)
      const sender = Context.get(context, CurrentConnection)
      let frame: string | undefined
      for (const connection of session.stream.connections) {
        if (connection === sender) continue
        frame ??= ServerFrame.notice("typing", { is_typing, thread_id, connection_id: sender.id })
        connection.send(frame)
      }
      return {}
    })
})
