import { Context, Effect } from "effect"
import type { StreamEvent } from "../protocol/ServerFrame.js"

/**
 * Where a handler's stream events go. Live, that is the user's stream; in
 * shadow mode a capturing emitter keeps them away from the user — which is
 * why handlers never write to sockets themselves.
 */
export class Emitter extends Context.Tag("switchyard/Emitter")<Emitter, {
  readonly emit: (event: StreamEvent) => Effect.Effect<void>
}>() {}

/** An emitter that only records what it is given (shadow runs, unit tests). */
export const capturing = (): { readonly emitter: Emitter["Type"]; readonly events: Array<StreamEvent> } => {
  const events: Array<StreamEvent> = []
  return { events, emitter: { emit: (event) => Effect.sync(() => void events.push(event)) } }
}
