import { Context, type Effect } from "effect"
import type { FrameError } from "../protocol/FrameError.js"

/** How one client frame was answered (PROTOCOL §5). */
export type Outcome =
  | { readonly status: "ok" | "duplicate"; readonly result: object; readonly reply: "ack" | "pong" }
  | { readonly status: "error"; readonly error: FrameError }

/** An inner frame of a batch, answered: its id (if it had a valid one) and its outcome. */
export interface Dispatched {
  readonly id: string | undefined
  readonly outcome: Outcome
}

/**
 * The way back into the frame pipeline for a handler that carries frames of
 * its own (`batch`): each goes through the same middleware (dedupe) and
 * handler as a frame from the socket would. Provided per connection next to
 * the other frame services; the pipeline's `Dispatcher` implements it.
 *
 * Its effects run in the services of the frame that calls them (the
 * connection's, or a shadow call's): they need nothing beyond what every
 * handler already runs in, which is why their type names no requirement.
 */
export class Dispatch extends Context.Tag("switchyard/Dispatch")<Dispatch, {
  /** May a frame of this type appear inside a `batch`? (unknown types may: they fail alone) */
  readonly batchable: (type: string) => boolean
  /** Decodes one raw inner frame and runs it; never fails. */
  readonly dispatchValue: (value: unknown) => Effect.Effect<Dispatched>
}>() {}
