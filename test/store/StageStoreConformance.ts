import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Queue, type Scope } from "effect"
import { StageStore, type StoredStage } from "../../src/store/StageStore.js"
import type { MakeCluster } from "./StoreCluster.js"

const canary = (percent: number): StoredStage => ({ stage: "canary", canaryPercent: percent })

/**
 * What every `StageStore` must do (PROTOCOL §8: a stage change on one node
 * governs all), whatever it stores in: run it against each implementation
 * with a way to make a shared backing and nodes over it. Changes are awaited,
 * never timed, so an asynchronous implementation runs it unchanged.
 */
export const stageStoreSuite = (name: string, makeCluster: MakeCluster<void, StageStore>) =>
  describe(`StageStore conformance: ${name}`, () => {
    const withStores = <A, E>(
      body: (a: StageStore["Type"], b: StageStore["Type"]) => Effect.Effect<A, E, Scope.Scope>
    ) =>
      Effect.gen(function*() {
        const cluster = yield* makeCluster(undefined)
        const a = Context.get(yield* cluster.node, StageStore)
        const b = Context.get(yield* cluster.node, StageStore)
        return yield* body(a, b)
      })

    it.scoped("has no stage for a type never set", () =>
      withStores((store) =>
        Effect.gen(function*() {
          expect(yield* store.get("chat")).toBeUndefined()
          expect((yield* store.all).size).toBe(0)
        })))

    it.scoped("keeps what one node sets, for every node to read", () =>
      withStores((a, b) =>
        Effect.gen(function*() {
          yield* a.set("chat", canary(25))
          yield* a.set("typing", { stage: "shadow", canaryPercent: 10 })
          expect(yield* b.get("chat")).toEqual(canary(25))
          expect(new Map(yield* b.all)).toEqual(new Map([["chat", canary(25)], ["typing", { stage: "shadow", canaryPercent: 10 }]]))
        })))

    it.scoped("keeps a rollback's reason and time with the stage it set", () =>
      withStores((a, b) =>
        Effect.gen(function*() {
          const rolledBack: StoredStage = {
            stage: "legacy_only",
            canaryPercent: 10,
            rollback: { at: "2025-01-01T00:00:00.000Z", reason: "error rate" }
          }
          yield* a.set("chat", rolledBack)
          expect(yield* b.get("chat")).toEqual(rolledBack)
        })))

    it.scoped("reports a change made on one node to the subscribers of every node, the setter's too", () =>
      withStores((a, b) =>
        Effect.gen(function*() {
          const onA = yield* a.changes
          const onB = yield* b.changes
          yield* a.set("chat", canary(50))
          expect(yield* Queue.take(onB)).toEqual({ type: "chat", value: canary(50) })
          expect(yield* Queue.take(onA)).toEqual({ type: "chat", value: canary(50) })
        })))

    it.scoped("reports a type's changes in the order they were made, the last one being what is stored", () =>
      withStores((a, b) =>
        Effect.gen(function*() {
          const onB = yield* b.changes
          for (const percent of [1, 2, 3, 4, 5]) yield* a.set("chat", canary(percent))
          const seen = yield* Queue.takeN(onB, 5)
          expect(Array.from(seen, (change) => change.value.canaryPercent)).toEqual([1, 2, 3, 4, 5])
          expect(yield* b.get("chat")).toEqual(canary(5))
        })))
  })
