import { Context, Effect, Layer, Queue } from "effect"
import { type StageChange, StageStore, type StoredStage } from "./StageStore.js"

/** One node's subscription: its queue, and which node it belongs to (its own changes are not reported to it). */
interface Subscription {
  readonly node: object
  readonly queue: Queue.Queue<StageChange>
}

/**
 * The in-memory backing of the `StageStore` (the default): the stored stages
 * and the nodes' subscriptions. One node's, or shared by several nodes in
 * one process (the conformance suite).
 */
export class MemoryStages {
  readonly stored = new Map<string, StoredStage>()
  readonly subscriptions = new Set<Subscription>()

  /** Stores `value` and reports it to every subscription but those of `node`. */
  set(node: object, type: string, value: StoredStage): void {
    this.stored.set(type, value)
    for (const subscription of this.subscriptions) {
      if (subscription.node !== node) Queue.unsafeOffer(subscription.queue, { type, value })
    }
  }
}

/** The `StageStore` of one node over `stages` (each call another node). */
export const stageStore = (stages: MemoryStages): StageStore["Type"] => {
  // the node's identity among the backing's subscriptions
  const node = {}
  return {
    get: (type) => Effect.sync(() => stages.stored.get(type)),
    all: Effect.sync(() => new Map(stages.stored)),
    set: (type, value) => Effect.sync(() => stages.set(node, type, value)),
    changes: Effect.acquireRelease(
      Effect.map(Queue.unbounded<StageChange>(), (queue) => {
        const subscription = { node, queue }
        stages.subscriptions.add(subscription)
        return subscription
      }),
      (subscription) =>
        Effect.suspend(() => {
          stages.subscriptions.delete(subscription)
          return Queue.shutdown(subscription.queue)
        })
    ).pipe(Effect.map((subscription) => subscription.queue))
  }
}

/** One node's store over `stages`, as a context. */
export const context = (stages: MemoryStages): Context.Context<StageStore> => Context.make(StageStore, stageStore(stages))

/** The in-memory `StageStore` of a single node. */
export const layer: Layer.Layer<StageStore> = Layer.sync(StageStore, () => stageStore(new MemoryStages()))
