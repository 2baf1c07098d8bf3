import { Context, Effect, Layer, PubSub } from "effect"
import { type StageChange, StageStore, type StoredStage } from "./StageStore.js"

/**
 * The in-memory backing of the `StageStore` (the default): a map of the
 * stored stages and a PubSub of their changes. One node's, or shared by
 * several nodes in one process (the conformance suite).
 */
export class MemoryStages {
  readonly stored = new Map<string, StoredStage>()

  constructor(readonly published: PubSub.PubSub<StageChange>) {}

  /** A new, empty backing. */
  static readonly make: Effect.Effect<MemoryStages> = Effect.map(PubSub.unbounded<StageChange>(), (pubsub) => new MemoryStages(pubsub))
}

/** The `StageStore` of one node over `stages`. */
export const stageStore = (stages: MemoryStages): StageStore["Type"] => ({
  get: (type) => Effect.sync(() => stages.stored.get(type)),
  all: Effect.sync(() => new Map(stages.stored)),
  set: (type, value) =>
    Effect.suspend(() => {
      stages.stored.set(type, value)
      return PubSub.publish(stages.published, { type, value })
    }),
  changes: PubSub.subscribe(stages.published)
})

/** One node's store over `stages`, as a context. */
export const context = (stages: MemoryStages): Context.Context<StageStore> => Context.make(StageStore, stageStore(stages))

/** The in-memory `StageStore` of a single node. */
export const layer: Layer.Layer<StageStore> = Layer.effect(StageStore, Effect.map(MemoryStages.make, stageStore))
