import { Duration, Effect, TestClock, TestContext } from "effect"
import { describe, expect, it } from "vitest"
import { AdmissionFallback } from "../../src/observability/AdmissionFallback.js"
import { capturingLogs } from "../support/LogLines.js"

describe("AdmissionFallback", () => {
  it("each node says its own fallbacks, at most once a minute per check", async () => {
    const logs = capturingLogs()
    const said = () => logs.matching("WARN", "admission: Redis did not answer").map((line) => line.message)
    const nodeA = new AdmissionFallback()
    const nodeB = new AdmissionFallback()
    await Effect.runPromise(Effect.gen(function*() {
      yield* nodeA.decide("runs", "redis: Timeout")
      yield* nodeA.decide("runs", "redis: Timeout")
      // another node in the same process (an embedder, a test) is not silenced by the first
      yield* nodeB.decide("runs", "redis: Unavailable")
      yield* nodeA.decide("connections", "redis: Timeout")
      expect(said()).toEqual([
        "admission: Redis did not answer (redis: Timeout): runs limited by this node's own counts",
        "admission: Redis did not answer (redis: Unavailable): runs limited by this node's own counts",
        "admission: Redis did not answer (redis: Timeout): connections limited by this node's own counts"
      ])
      yield* TestClock.adjust(Duration.minutes(1))
      yield* nodeA.decide("runs", "redis: Timeout")
      expect(said()).toHaveLength(4)
    }).pipe(logs.capture, Effect.provide(TestContext.TestContext)))
  })
})
