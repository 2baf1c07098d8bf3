import { Effect, Layer } from "effect"
import type { Backplane } from "../../src/store/Backplane.js"
import type { HistoryOptions } from "../../src/store/History.js"
import type { HistoryStore } from "../../src/store/HistoryStore.js"
import type { Redis } from "../../src/store/Redis.js"
import * as RedisStageStore from "../../src/store/RedisStageStore.js"
import * as RedisStreams from "../../src/store/RedisStreams.js"
import type { StageStore } from "../../src/store/StageStore.js"
import { testRedisLayer } from "../support/RedisServer.js"
import { backplaneSuite } from "./BackplaneConformance.js"
import { historyStoreSuite } from "./HistoryStoreConformance.js"
import { stageStoreSuite } from "./StageStoreConformance.js"
import type { StoreCluster } from "./StoreCluster.js"

/**
 * A cluster over the shared Redis (127.0.0.1:6379, or TEST_REDIS_URL): a
 * fresh prefix per cluster, and each node its own two connections to it.
 */
const cluster = <I>(stores: Layer.Layer<I, never, Redis>) =>
  Effect.sync((): StoreCluster<I> => {
    // one prefix for every node of this cluster; its keys are deleted with each node's scope
    const redis = testRedisLayer()
    return { node: Effect.orDie(Layer.build(Layer.provide(stores, redis))) }
  })

const streams = (options: HistoryOptions) => cluster<Backplane | HistoryStore>(RedisStreams.layer(options))

backplaneSuite("redis", streams)
historyStoreSuite("redis", streams)
stageStoreSuite("redis", () => cluster<StageStore>(RedisStageStore.layer))
