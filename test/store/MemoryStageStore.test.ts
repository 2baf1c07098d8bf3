import { Effect } from "effect"
import * as MemoryStageStore from "../../src/store/MemoryStageStore.js"
import { stageStoreSuite } from "./StageStoreConformance.js"

stageStoreSuite("memory", () =>
  Effect.map(MemoryStageStore.MemoryStages.make, (stages) => ({ node: Effect.sync(() => MemoryStageStore.context(stages)) })))
