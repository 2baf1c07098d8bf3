import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as MemoryStreams from "../../src/store/MemoryStreams.js"
import { backplaneSuite } from "./BackplaneConformance.js"
import { historyStoreSuite } from "./HistoryStoreConformance.js"

const cluster = (options: ConstructorParameters<typeof MemoryStreams.MemoryStreams>[0]) =>
  Effect.sync(() => {
    const streams = new MemoryStreams.MemoryStreams(options)
    return { node: Effect.sync(() => MemoryStreams.context(streams)) }
  })

backplaneSuite("memory", cluster)
historyStoreSuite("memory", cluster)

describe("MemoryStreams", () => {
  const listener = () => ({ event: () => {}, signal: () => {} })

  it.scoped("forgets a stream when its last listener leaves, so the next one starts a new epoch", () =>
    Effect.gen(function*() {
      const streams = new MemoryStreams.MemoryStreams({ minEvents: 10, minAgeMs: 0, maxEvents: 10 })
      const backplane = MemoryStreams.backplane(streams)
      const first = listener()
      const second = listener()
      const before = yield* backplane.subscribe("u", first)
      yield* backplane.subscribe("u", second)
      yield* backplane.publish("u", { head: "", tail: "", at: 0 })
      yield* backplane.unsubscribe("u", first)
      expect(streams.size).toBe(1)
      yield* backplane.unsubscribe("u", second)
      expect(streams.size).toBe(0)
      const after = yield* backplane.subscribe("u", listener())
      expect(after.latestSeq).toBe(0)
      expect(after.epoch).not.toBe(before.epoch)
    }))
})
