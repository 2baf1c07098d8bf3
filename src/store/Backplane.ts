import { Context, type Effect } from "effect"
import type { Epoch } from "./Epoch.js"
import type { HistoryEntry } from "./History.js"

/**
 * The seam between one node and many (the `store/` folder): every user's stream
 * events reach every node that serves the user, in seq order, with no
 * duplicate or hole. One interface, several implementations (in memory, the
 * default; Redis: `RedisStreams`), all held to `test/store/BackplaneConformance.ts`.
 *
 * `publish` is ONE step that allocates the event's seq within the stream's
 * epoch, appends the event to the user's history (the `HistoryStore` of the
 * same backing) and fans it out — so that a shared backend can run it
 * atomically (Redis: a Lua script doing INCR, XADD, PUBLISH). For that the
 * event comes encoded except for its seq: the frame is `head + seq + tail`.
 *
 * A backend that cannot answer is a defect at this boundary or is handled
 * inside the implementation (degrading to local delivery); the emitter of an
 * event never sees a store error (it could do nothing about an
 * infrastructure failure), so the operations have no error channel.
 */

/** A stream event ready to be published: its frame is `head + seq + tail`, made at `at` (epoch ms). */
export interface PendingEvent {
  readonly head: string
  readonly tail: string
  readonly at: number
}

/** The frame of a pending event once its seq is known. */
export const frameOf = (event: PendingEvent, seq: number): string => event.head + seq + event.tail

/** Where a user's stream stands: its epoch (PROTOCOL §6) and the seq of its latest event (0 before the first). */
export interface StreamPosition {
  readonly epoch: Epoch
  readonly latestSeq: number
}

/**
 * What a node hands the backplane to receive one user's traffic. Both are
 * called synchronously, in the order the backplane received them; they must
 * not fail.
 */
export interface StreamListener {
  /** a stream event, in seq order (an implementation may repeat one already given; never skips one) */
  readonly event: (entry: HistoryEntry) => void
  /** a transient frame for the user's connections other than `senderId` (typing): no seq, no history */
  readonly signal: (frame: string, senderId: string) => void
  /**
   * The stream's epoch ended (its past lost: a shared backend restarted
   * without persistence, or a node delivered events only locally while the
   * backend was away): the events given from now on are of `position`'s
   * epoch, after its `latestSeq`. A client holding the old epoch has a gap
   * (PROTOCOL §6). A backend that cannot lose a stream's past never calls it.
   */
  readonly reset?: (position: StreamPosition) => void
}

/** The backplane of this node. */
export class Backplane extends Context.Tag("switchyard/Backplane")<Backplane, {
  /**
   * Listens to the user's stream on this node until `unsubscribe` (a node
   * subscribes while it serves the user). Returns once every event
   * published after it reaches `listener`, with the stream's position: the
   * events after `latestSeq` are the listener's. A stream that does not exist
   * (never made, or its past lost) is made here, with a new epoch; a stream
   * that exists keeps its epoch (with a shared backend, across node restarts).
   *
   * Not scoped: the caller ends it from a finalizer it already has (the
   * user's session), since a finalizer per subscription costs every idle
   * user ~200 bytes. A listener listens to one user.
   */
  readonly subscribe: (userId: string, listener: StreamListener) => Effect.Effect<StreamPosition>
  /** Stops giving the user's stream to `listener` (nothing if it was not subscribed). */
  readonly unsubscribe: (userId: string, listener: StreamListener) => Effect.Effect<void>
  /**
   * Allocates the next seq of the user's stream, appends the event to its
   * history and delivers it to every listener of the user on every node, as
   * one step; returns the seq.
   */
  readonly publish: (userId: string, event: PendingEvent) => Effect.Effect<number>
  /** Delivers a transient `frame` from connection `senderId` to every listener of the user on every node. */
  readonly signal: (userId: string, frame: string, senderId: string) => Effect.Effect<void>
}>() {}
