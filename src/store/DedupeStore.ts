import { Context, Data, type Effect } from "effect"

/**
 * The memory of client message ids (PROTOCOL §5) — the node's own, or in
 * cluster mode one all nodes share — keyed by
 * (user id, message id) and independent of any user session: an id is
 * remembered for the whole window even after the user's context was released.
 * One interface, several implementations (in memory, the default; Redis,
 * a Lua script per claim: `RedisDedupeStore`), all held to `test/store/DedupeStoreConformance.ts`.
 */

/**
 * The bounds every store keeps (README, "Configuration"). An id is remembered
 * for `windowMs` after its first result; within the window a user's oldest ids
 * go first when the user holds more than `maxEntries` (never fewer than
 * `minEntries`: `maxEntries` is raised to it) or more than `maxBytesPerUser`,
 * and the node's oldest when all users together hold more than `maxBytes`.
 * A result whose JSON is longer than `maxResultBytes` is not remembered at all:
 * its id is processed again if retried, as after a failure (a duplicate must
 * carry the first result, so there is nothing smaller to keep instead).
 */
export interface DedupeOptions {
  readonly windowMs: number
  readonly minEntries: number
  readonly maxEntries: number
  readonly maxBytesPerUser: number
  readonly maxResultBytes: number
  readonly maxBytes: number
}

/** What `claim` found for an id. */
export type Claim =
  /** the id is the caller's to process: `complete` or `expire` it afterwards */
  | { readonly _tag: "New" }
  /** the id was processed: answer with its first result */
  | { readonly _tag: "Duplicate"; readonly result: object }
  /** another claim of the id is still being processed: `settled` waits for it */
  | { readonly _tag: "Pending" }

/** The claim results without a payload, shared so that claiming allocates nothing. */
export const New: Claim = { _tag: "New" }
export const Pending: Claim = { _tag: "Pending" }

/**
 * A store that could not answer (a backend down): the frame fails, nothing
 * is remembered. `detail` says why in words safe to log (never a user id,
 * message id or result).
 */
export class DedupeStoreError extends Data.TaggedError("DedupeStoreError")<{
  /** `Unreadable`: the id's first result is stored, but in a form this node cannot read */
  readonly reason: "Unavailable" | "Unknown" | "Unreadable"
  readonly detail?: string | undefined
}> {
  override get message(): string {
    return this.detail === undefined ? `dedupe store: ${this.reason}` : `dedupe store: ${this.reason} (${this.detail})`
  }
}

/**
 * The synchronous operations of an in-process store, for the frame path's
 * fast path (no Effect per claim). `nowMs` comes from the caller's `Clock`.
 */
export interface SyncDedupeStore {
  readonly claim: (userId: string, id: string) => Claim
  readonly complete: (userId: string, id: string, result: object, nowMs: number) => void
  readonly expire: (userId: string, id: string) => void
}

/**
 * The waits of frame chains for claims, kept where every node sees them
 * (PROTOCOL §5: no wait waits for itself). A chain that holds claims and finds
 * another claim pending `enter`s its wait before waiting: refused (`false`)
 * when the wait would close a cycle — the wanted claim is held by a chain
 * waiting, in turn, for one this chain holds, on any node — else recorded
 * until `leave`. Check and record are one atomic step, so of two chains
 * closing a cycle at once the second sees the first. A node that dies leaves
 * its waits behind for at most the claims' lease.
 */
export interface SharedWaits {
  /** Records that the chain holding `held` (at least one id) waits for `wanted`, unless that closes a cycle (`false`). */
  readonly enter: (userId: string, held: ReadonlyArray<string>, wanted: string) => Effect.Effect<boolean, DedupeStoreError>
  /** Ends that wait (only the chain's own record of it: one taken over since stays). */
  readonly leave: (userId: string, held: ReadonlyArray<string>, wanted: string) => Effect.Effect<void, DedupeStoreError>
}

/** The dedupe store of this node. */
export class DedupeStore extends Context.Tag("switchyard/DedupeStore")<DedupeStore, {
  /** Claims (user, id) for processing, or finds it processed or in progress. */
  readonly claim: (userId: string, id: string) => Effect.Effect<Claim, DedupeStoreError>
  /**
   * Claims (user, id) and, if it is the caller's, remembers it done with
   * `result` in the same step: for a frame whose result is known before it
   * runs (`typing`'s `{}`), one store call instead of a claim and a
   * completion, and no claim in progress for others to wait on. `New`: the
   * id was recorded (`expire` it if the frame then fails after all).
   */
  readonly record: (userId: string, id: string, result: object) => Effect.Effect<Claim, DedupeStoreError>
  /** Ends a claim with its success: remembered with `result` for the window. */
  readonly complete: (userId: string, id: string, result: object) => Effect.Effect<void, DedupeStoreError>
  /** Ends a claim without a result (its processing failed): a retry is processed again. */
  readonly expire: (userId: string, id: string) => Effect.Effect<void, DedupeStoreError>
  /** Completes once a pending claim of (user, id) was completed or expired (at once if none is pending). */
  readonly settled: (userId: string, id: string) => Effect.Effect<void, DedupeStoreError>
  /** The same operations without an Effect, when the store is in this process; `undefined` otherwise. */
  readonly sync: SyncDedupeStore | undefined
  /**
   * The waits of chains on every node sharing the store; `undefined` when
   * the store is this process's own (the node's `ClaimWaits` sees every wait).
   */
  readonly sharedWaits: SharedWaits | undefined
}>() {}
