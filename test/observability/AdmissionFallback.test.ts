import { Duration, Effect, Metric, TestClock, TestContext } from "effect"
import { describe, expect, it } from "vitest"
import { AdmissionFallback, admissionFallbacks } from "../../src/observability/AdmissionFallback.js"
import { capturingLogs } from "../support/LogLines.js"

// the process-wide count of one check (other files in this worker may have counted some: read as a difference)
const counted = (check: string) =>
  Effect.map(Metric.value(Metric.tagged(admissionFallbacks, "check", check)), (state) => state.count)

describe("AdmissionFallback", () => {
  it("every fallback is counted; each node says its own, at most once a minute per check", async () => {
    const logs = capturingLogs()
    const said = () => logs.matching("WARN", "admission: Redis did not answer").map((line) => line.message)
    const nodeA = new AdmissionFallback()
    const nodeB = new AdmissionFallback()
    await Effect.runPromise(Effect.gen(function*() {
      const before = { runs: yield* counted("runs"), connections: yield* counted("connections") }
      yield* nodeA.record("runs", "redis: Timeout")
      yield* nodeA.record("runs", "redis: Timeout")
      // another node in the same process (an embedder, a test) is not silenced by the first
      yield* nodeB.record("runs", "redis: Unavailable")
      yield* nodeA.record("connections", "redis: Timeout")
      expect(said()).toEqual([
        "admission: Redis did not answer (redis: Timeout): runs limited by this node's own counts",
        "admission: Redis did not answer (redis: Unavailable): runs limited by this node's own counts",
        "admission: Redis did not answer (redis: Timeout): connections limited by this node's own counts"
      ])
      yield* TestClock.adjust(Duration.minutes(1))
      yield* nodeA.record("runs", "redis: Timeout")
      expect(said()).toHaveLength(4)
      // the log is bounded; the count is not: each decision is one
      expect([(yield* counted("runs")) - before.runs, (yield* counted("connections")) - before.connections]).toEqual([4, 1])
    }).pipe(logs.capture, Effect.provide(TestContext.TestContext)))
  })
})
