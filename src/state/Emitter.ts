import { Context, Effect } from "effect"
import type { StreamEvent } from "../protocol/StreamEvents.js"

/**
 * Where a handler's stream events go. Live, that is the user's stream; in
 * shadow mode a capturing emitter keeps them away from the user — which is
 * why handlers never write to sockets themselves.
 */
export class Emitter extends Context.Tag("switchyard/Emitter")<Emitter, {
  readonly emit: (event: StreamEvent) => Effect.Effect<void>
}>() {}

/** An emitter that only records what it is given, and lets a test wait for an event (tests, the test kit). */
export const capturing = (): {
  readonly emitter: Emitter["Type"]
  readonly events: Array<StreamEvent>
  readonly awaitEvent: (predicate: (event: StreamEvent) => boolean) => Effect.Effect<StreamEvent>
} => {
  const events: Array<StreamEvent> = []
  const waiters = new Set<() => void>()
  const emitter: Emitter["Type"] = {
    emit: (event) =>
      Effect.sync(() => {
        events.push(event)
        for (const waiter of waiters) waiter()
      })
  }
  const awaitEvent = (predicate: (event: StreamEvent) => boolean): Effect.Effect<StreamEvent> =>
    Effect.async<StreamEvent>((resume) => {
      const check = (): void => {
        const found = events.find(predicate)
        if (found === undefined) return
        waiters.delete(check)
        resume(Effect.succeed(found))
      }
      waiters.add(check)
      check()
      return Effect.sync(() => void waiters.delete(check))
    })
  return { events, emitter, awaitEvent }
}
