import { Context, Data, type Effect, type Scope } from "effect"
import type { LeaseGuard, RunEnd } from "./Backplane.js"

/**
 * Who owns which agent run, across nodes (cluster mode).
 * A run stays on the node that started it; this store records it under the
 * owner's lease, admits new runs against the user's limits on every node
 * together, carries `stop_agent` from any node to the owner, and hands the
 * runs of an owner whose lease expired (it died) to exactly one survivor.
 *
 * The memory implementation is one node: every run is local, nothing is ever
 * lost to another node. Redis: `RedisRunLeases`.
 *
 * A node cut off from the store longer than its lease (it could not renew)
 * has lost its runs like a dead node: a survivor may have ended them
 * `NODE_LOST` already. The store tells the node (`lapses`), which stops them
 * without another event, and guards their events (`guard`): a backend
 * publishes them only while the lease is held, so none lands after a
 * survivor's `agent_completed`.
 */

/** The per-user run limits a start is admitted against (Infinity: none). */
export interface RunQuota {
  readonly perMinute: number
  readonly concurrent: number
}

/** Why the cluster refused a run start: the same reasons a node's own limiter has. */
export type QuotaRefusal =
  | { readonly reason: "Concurrent"; readonly retryAfterMs: number }
  | { readonly reason: "PerMinute"; readonly retryAfterMs: number }

/** A run of a user, as another node sees it. */
export type RunLocation =
  /** no such run of this user is known (never started, another user's, or forgotten) */
  | { readonly _tag: "Unknown" }
  /** the run ended */
  | { readonly _tag: "Ended" }
  /** the run is going on node `owner` */
  | { readonly _tag: "Running"; readonly owner: string }

/** What an owner answers a stop request: the outcomes of a local `stop`. */
export type StopAnswer = "NotFound" | "Stopped" | "AlreadyEnded"

/**
 * An owner's answer to this node's stop request. When it is `Stopped` the run
 * waits to emit its `cancelled` until `acknowledged` ran (the requester's ack
 * went out first: PROTOCOL §4 "the ack is sent before any event the frame causes").
 */
export interface RemoteStop {
  readonly answer: StopAnswer
  readonly acknowledged: Effect.Effect<void>
}

/** A run this node recorded under its lease. */
export interface LeasedRun {
  readonly userId: string
  readonly runId: string
}

/** A run whose owner died (or whose lease lapsed), claimed by this node (no other node got it). */
export interface LostRun {
  readonly userId: string
  readonly runId: string
  readonly owner: string
}

/**
 * Serves stop requests for this node's runs: `userId`'s run `runId`; a run it
 * stops waits for `acknowledged` before its `cancelled`.
 */
export type StopServer = (
  userId: string,
  runId: string,
  acknowledged: Effect.Effect<void>
) => Effect.Effect<StopAnswer>

/** The owner did not answer a stop request in time (it died, or Redis is away). */
export class RunOwnerUnreachable extends Data.TaggedError("RunOwnerUnreachable")<{
  readonly owner: string
  readonly detail: string
}> {
  override get message(): string {
    return `the node running this run did not answer (${this.detail})`
  }
}

/** The run ownership of this node. */
export class RunLeases extends Context.Tag("switchyard/store/RunLeases")<RunLeases, {
  /** This node's owner name (its lease): the node id and a per-process token. */
  readonly owner: string
  /** Whether runs may live on other nodes (false: a lookup elsewhere is pointless). */
  readonly shared: boolean
  /**
   * Records `userId`'s run `runId` as running here if the user's runs on
   * every node stay within `quota` (counted with it); otherwise says why not.
   * With the store away it admits (the node's own limiter still holds) and
   * records the run once the store is back.
   */
  readonly admit: (userId: string, runId: string, quota: RunQuota, now: number) => Effect.Effect<QuotaRefusal | undefined>
  /**
   * The run ended here: takes it off the lease (a lapse no longer lists it).
   * A run the store holds under the lease: the marker its `agent_completed`
   * carries (`currentRunEnd`), so that the backplane records the end in the
   * same step as it publishes the event. Otherwise (one admitted while the
   * store was away and not recorded yet, or no store: memory) the store
   * settles its end itself: undefined. The caller still answers stops for it
   * until its event is out (`NodeRuns.publishEnd` is the whole sequence).
   */
  readonly takeEnd: (userId: string, runId: string) => Effect.Effect<RunEnd | undefined>
  /** Where `userId`'s run `runId` is. */
  readonly locate: (userId: string, runId: string) => Effect.Effect<RunLocation>
  /** Asks `owner` to stop `userId`'s run `runId`, waiting at most the store's bound for the answer. */
  readonly requestStop: (owner: string, userId: string, runId: string) => Effect.Effect<RemoteStop, RunOwnerUnreachable>
  /** Serves other nodes' stop requests for this node's runs, for the scope's life. */
  readonly serveStops: (server: StopServer) => Effect.Effect<void, never, Scope.Scope>
  /**
   * The runs of dead owners, each claimed by exactly one node: this one gets
   * those it claimed, once their owner's lease expired, for the scope's life.
   * A run is given again until `onLost` says its end is recorded (true) — a
   * claim whose answer was lost to a timeout is not a lost run — so `onLost`
   * must be idempotent.
   */
  readonly lost: (onLost: (run: LostRun) => Effect.Effect<boolean>) => Effect.Effect<void, never, Scope.Scope>
  /**
   * This node's lease lapsed (it could not renew it in time): `onLapse` gets
   * the runs recorded under it, which are no longer this node's — they must
   * stop without another event, and their end is recorded by whoever claims
   * them (a survivor, or this node once it has the store back), `NODE_LOST`.
   */
  readonly lapses: (onLapse: (runs: ReadonlyArray<LeasedRun>) => Effect.Effect<void>) => Effect.Effect<void, never, Scope.Scope>
  /**
   * The guard of the events of a run `admit` just recorded (`currentLeaseGuard`),
   * handed out once; none for a run admitted without the store, or where leases cannot lapse.
   */
  readonly takeGuard: (runId: string) => LeaseGuard | undefined
}>() {}
