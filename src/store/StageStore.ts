import { Context, type Effect, type Queue, type Scope } from "effect"

/**
 * Where the migration stage of each migrating message type is kept
 * (PROTOCOL §8), so that a change made on one node governs all of them. One
 * interface, several implementations (in memory, the default; Redis hash +
 * pub/sub: `RedisStageStore`), all held to `test/store/StageStoreConformance.ts`.
 *
 * A stage is stored as its name (`Stage` belongs to migration/, above this
 * folder): the store keeps what it is given, the caller parses the name. A
 * shared store reads back what other nodes wrote (maybe of another version):
 * what it cannot read is no stage and no change.
 */

/** The stored setting of one migrating type. */
export interface StoredStage {
  readonly stage: string
  readonly canaryPercent: number
  /** why an automatic rollback set this stage, and when (ISO time); absent for a change by hand */
  readonly rollback?: { readonly at: string; readonly reason: string } | undefined
}

/** One change of a type's stage, as every node observes it. */
export interface StageChange {
  readonly type: string
  readonly value: StoredStage
}

/** The stage store of this node. */
export class StageStore extends Context.Tag("switchyard/StageStore")<StageStore, {
  /** The stored stage of `type`; undefined when none was ever set (or what is stored cannot be read). */
  readonly get: (type: string) => Effect.Effect<StoredStage | undefined>
  /** Every stored stage, by type. */
  readonly all: Effect.Effect<ReadonlyMap<string, StoredStage>>
  /** Stores the stage of `type`; the other nodes' `changes` report it. */
  readonly set: (type: string, value: StoredStage) => Effect.Effect<void>
  /**
   * Subscribes, for the lifetime of `Scope`, to the changes other nodes make
   * from now on (a node applies its own as it makes them): returns once
   * subscribed, so every later `set` elsewhere is observed, in the order made
   * per type. Two nodes may set one type at once: a node that reads the type
   * again (`get`) on each change ends with the value stored last, as all do.
   * (A subscriber that may have missed changes — a reconnect — reads `all`.)
   */
  readonly changes: Effect.Effect<Queue.Dequeue<StageChange>, never, Scope.Scope>
}>() {}
