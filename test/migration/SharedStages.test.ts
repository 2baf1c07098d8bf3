import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Option } from "effect"
import * as MigrationControl from "../../src/migration/MigrationControl.js"
import * as MemoryStageStore from "../../src/store/MemoryStageStore.js"
import { StageStore } from "../../src/store/StageStore.js"

/** A way to start nodes whose migration control shares one stage store. */
const cluster = Effect.sync(() => {
  const stages = new MemoryStageStore.MemoryStages()
  // each build is another node, with a store of its own over the shared stages
  return Effect.map(
    Layer.build(
      Layer.scoped(MigrationControl.MigrationControl, MigrationControl.make({ ...MigrationControl.defaultSettings, loggingEnabled: false }, ["t"])).pipe(
        Layer.provide(Layer.sync(StageStore, () => MemoryStageStore.stageStore(stages)))
      )
    ),
    (context) => Context.get(context, MigrationControl.MigrationControl)
  )
})

const entryOf = (control: MigrationControl.Service) => Effect.map(control.entry("t"), Option.getOrThrow)

// waits (without a clock) until `control` shows the stage: another node's change arrives asynchronously
const awaitStage = (control: MigrationControl.Service, stage: string) =>
  Effect.gen(function*() {
    while ((yield* entryOf(control)).stage !== stage) yield* Effect.yieldNow()
    return yield* entryOf(control)
  })

describe("MigrationControl over a shared stage store (PROTOCOL §8: a change on one node governs all)", () => {
  it.scoped("applies a stage set on one node on the others", () =>
    Effect.gen(function*() {
      const node = yield* cluster
      const a = yield* node
      const b = yield* node
      yield* a.setStage("t", "canary", 30)
      const seen = yield* awaitStage(b, "canary")
      expect(seen.canary_percent).toBe(30)
    }))

  it.scoped("applies an automatic rollback on one node on the others, with its reason", () =>
    Effect.gen(function*() {
      const node = yield* cluster
      const a = yield* node
      const b = yield* node
      yield* a.setStage("t", "canary", 50)
      yield* awaitStage(b, "canary")
      const state = yield* a.state("t")
      for (let i = 0; i < 20; i++) yield* a.record(state, "legacy", 5, true)
      for (let i = 0; i < 20; i++) yield* a.record(state, "next", 5, false)
      expect((yield* entryOf(a)).stage).toBe("legacy_only")
      const seen = yield* awaitStage(b, "legacy_only")
      expect(seen.rollback).toEqual((yield* entryOf(a)).rollback)
    }))

  it.scoped("starts a node that joins later in the stage stored", () =>
    Effect.gen(function*() {
      const node = yield* cluster
      const a = yield* node
      yield* a.setStage("t", "shadow")
      const late = yield* node
      expect((yield* entryOf(late)).stage).toBe("shadow")
    }))
})
