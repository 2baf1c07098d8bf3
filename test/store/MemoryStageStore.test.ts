import { Effect } from "effect"
import * as MemoryStageStore from "../../src/store/MemoryStageStore.js"
import { stageStoreSuite } from "./StageStoreConformance.js"

stageStoreSuite("memory", () =>
  Effect.sync(() => {
    const stages = new MemoryStageStore.MemoryStages()
    return { node: Effect.sync(() => MemoryStageStore.context(stages)) }
  }))
