import { Context, type Effect, FiberRef } from "effect"
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
  /**
   * the publish's own id, for one that may be made again (a lost run's end,
   * claimed again after an answer that did not come back): a shared backend
   * that still remembers a publish of this token (its recent ones) returns
   * that seq instead of publishing again
   */
  readonly token?: string | undefined
}

/**
 * A lease that events belong to (cluster mode: the lease under which a node
 * owns its agent runs, `RunLeases`): a backend that can check it publishes
 * such an event only while `holder` still holds the lease `name`, in the same
 * atomic step — so once another node has taken over the lease's runs (ended
 * them `NODE_LOST`), no late event of theirs can follow.
 */
export interface LeaseGuard {
  readonly name: string
  readonly holder: string
}

/**
 * The lease guard of the events a fiber publishes (an agent run's fiber, in
 * cluster mode); none elsewhere. A backend without leases ignores it.
 */
export const currentLeaseGuard: FiberRef.FiberRef<LeaseGuard | undefined> = FiberRef.unsafeMake<LeaseGuard | undefined>(
  undefined
)

/**
 * The run an event ends (its `agent_completed`, cluster mode): a backend that
 * records runs (Redis, `RunLeases`) records the run's end in the SAME atomic
 * step as the publish, and only if it publishes — so the user's slot among
 * their runs is free on every node once anyone can see the event, and no end
 * is recorded whose event was lost. One it could not confirm (Redis slow or
 * away) it keeps owed, and publishes again with the same token once Redis
 * answers (the run stays recorded running meanwhile). `owner` is the run's
 * owner as the store keys it (`RunLeases.takeEnd` hands the whole marker out).
 */
export interface RunEnd {
  readonly runId: string
  readonly owner: string
  /**
   * records the run's end without its event, for an event that will not be
   * published after all — its emit died or was interrupted on its way, or the
   * backend gave up an owed one — so that the run never holds the user's
   * slot while its node lives; harmless if the publish did record it
   */
  readonly withoutEvent: Effect.Effect<void>
}

/**
 * The run the event a fiber publishes ends (set around a run's
 * `agent_completed` only, beside `currentLeaseGuard`); none elsewhere. A
 * backend without run records ignores it (in memory a run's end is the
 * registry's alone).
 */
export const currentRunEnd: FiberRef.FiberRef<RunEnd | undefined> = FiberRef.unsafeMake<RunEnd | undefined>(undefined)

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
  /**
   * a stream event, in seq order (an implementation may repeat one already
   * given; it never skips one without a `reset` first)
   */
  readonly event: (entry: HistoryEntry) => void
  /** a transient frame for the user's connections other than `senderId` (typing): no seq, no history */
  readonly signal: (frame: string, senderId: string) => void
  /**
   * The listener cannot go on from the last event it was given: the
   * stream's epoch ended (its past lost: a shared backend restarted without
   * persistence; or its seqs overlapped: a node delivered events only
   * locally while the backend was away, and the new epoch holds the newest
   * of what the backend held, renumbered up to `latestSeq`), or events it missed are
   * no longer held (it fell too far behind while catching up). The events
   * given from now on are of `position`'s epoch, after its `latestSeq`;
   * clients must resume, which reports their gap (PROTOCOL §6). A backend
   * that cannot lose a stream's past, and delivers synchronously, never
   * calls it.
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
  /**
   * `subscribe` done at once, `nowMs` the time a new stream's epoch is made
   * at: offered by a backplane that never waits (in memory), so that a
   * user's first connect sets up without a fiber. A shared backend leaves it out.
   */
  readonly subscribeNow?: ((userId: string, listener: StreamListener, nowMs: number) => StreamPosition) | undefined
  /** Stops giving the user's stream to `listener` (nothing if it was not subscribed). */
  readonly unsubscribe: (userId: string, listener: StreamListener) => Effect.Effect<void>
  /**
   * Allocates the next seq of the user's stream, appends the event to its
   * history and delivers it to every listener of the user on every node, as
   * one step; returns the seq — or 0 when the event was not published (the
   * publishing fiber's lease guard no longer holds, or a shared backend did
   * not confirm it in time: it then reaches the listeners only if the backend
   * still runs it).
   *
   * With `currentRunEnd` set (a run's `agent_completed`), a backend that
   * records runs (Redis) records the run's end in that same step, and refuses
   * the event (0, nothing recorded) if the run is no longer the marker's
   * owner's — claimed by a survivor, whose `NODE_LOST` is its end, or ended
   * already. One it could not confirm it owes: it keeps the event and
   * publishes it again with the same token once the backend answers, until
   * it gets the first attempt's seq or the refusal (the run stays recorded
   * running meanwhile). A backend without run records ignores the marker.
   */
  readonly publish: (userId: string, event: PendingEvent) => Effect.Effect<number>
  /**
   * `publish` without waiting for the seq, offered by a backend whose publish is a round trip (Redis): the
   * event is handed over before the effect completes, with the caller's `currentLeaseGuard`, and a user's
   * events are published in the order handed over (`publish`'s among them), so one fiber's events keep its
   * order. It waits for the seq as `publish` does while the user's events not yet published are past the
   * backend's bounds, and for an event with `currentRunEnd`. A caller interrupted while it waits does not
   * take the event back. A backend that publishes at once leaves it out.
   */
  readonly publishNoWait?: ((userId: string, event: PendingEvent) => Effect.Effect<void>) | undefined
  /** Delivers a transient `frame` from connection `senderId` to every listener of the user on every node. */
  readonly signal: (userId: string, frame: string, senderId: string) => Effect.Effect<void>
}>() {}
