import { Context, type Effect } from "effect"
import type { Signal } from "../protocol/Notices.js"
import type { StreamEvent } from "../protocol/StreamEvents.js"
import type { Epoch } from "../store/Epoch.js"
import type { ResumeRequest, ResumeResult } from "./ResumePlan.js"
import type { ReplayCharge } from "./UserStream.js"

/**
 * The stream of the user a frame came from (PROTOCOL §6), as a handler sees
 * it: it publishes events, replays to one of the user's clients, and relays
 * signals (no seq, no history) to the user's other clients. Clients are
 * named by their connection id: a handler never holds a connection.
 * `UserStream` is the implementation a node makes per user.
 */
export interface StreamService {
  /** the name of this run of seqs */
  readonly epoch: Epoch
  /** the latest seq, 0 before the first event */
  readonly lastSeq: number
  /** Appends an event to the stream and delivers it to every client of the user; returns its seq. */
  readonly publish: (event: StreamEvent) => Effect.Effect<number>
  /**
   * `publish` without waiting for the seq where publishing is a round trip (cluster mode): the user's events
   * still go out in the order given, so a run's events need not each wait for the one before.
   */
  readonly publishNoWait: (event: StreamEvent) => Effect.Effect<void>
  /** Replays to the client `clientId` what a client at `request`'s position missed (PROTOCOL §4 `resume`). */
  readonly resumeClient: (
    clientId: string,
    request: ResumeRequest,
    charge?: ReplayCharge
  ) => Effect.Effect<ResumeResult>
  /**
   * Sends the notice `{type, payload}` to the user's clients other than
   * `fromClientId`, on every node, now and once: no seq, no history (e.g.
   * `typing`). Best effort, like the frame it relays.
   */
  readonly signal: (fromClientId: string, type: Signal["type"], payload: Signal["payload"]) => Effect.Effect<void>
}

/** The user's stream, provided per user (the tag of `UserStream`, see `StreamService`). */
export class CurrentStream extends Context.Tag("switchyard/CurrentStream")<CurrentStream, StreamService>() {}
