import { Effect, Metric } from "effect"
import * as Redis from "../../src/store/Redis.js"

/** `switchyard_redis_unreadable_total{kind}` now: every node of the test's process counts in it, so compare two reads. */
export const unreadableCount = (kind: Redis.UnreadableKind): Effect.Effect<number> =>
  Effect.map(Metric.value(Metric.tagged(Redis.redisUnreadable, "kind", kind)), (state) => state.count)
