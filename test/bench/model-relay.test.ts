import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { EmulatedEvent } from "../../scripts/bench/baseline-run.js"
import { relayRun } from "../../scripts/bench/model-relay.js"
import { parseDeltaText } from "../../scripts/bench/model-stream.js"
import { type RunningServer, startServer } from "../../scripts/bench/server-process.js"
import { MODEL_ENTRY } from "../../scripts/bench/stream-bench.js"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

// the fake model server as the bench runs it (its own process), and the baselines' relay reading it
describe("the fake model server, read by the baselines' relay", () => {
  let model: RunningServer
  beforeAll(async () => {
    const log = join(mkdtempSync(join(tmpdir(), "bench-model-")), "model.log")
    model = await startServer(
      { key: "baseline", label: "fake model server", entry: MODEL_ENTRY, env: { MODEL_DELTAS_PER_RUN: "5", MODEL_DELTA_RATE: "1000" } },
      "unused",
      undefined,
      log
    )
  })
  afterAll(() => model?.stop())

  it("streams every delta in order, then the whole answer, framed like the service's model run", async () => {
    const events = await new Promise<Array<EmulatedEvent>>((resolve) => {
      const seen: Array<EmulatedEvent> = []
      relayRun(`http://127.0.0.1:${model.port}/v1`, "r-1", "hi", (event) => {
        seen.push(event)
        if (event.type === "agent_completed") resolve(seen)
      })
    })
    expect(events.map((e) => e.type)).toEqual([
      "agent_started",
      "agent_thinking",
      ...Array.from({ length: 5 }, () => "agent_message_delta"),
      "agent_completed"
    ])
    const texts = events.filter((e) => e.type === "agent_message_delta").map((e) => String(e.payload["text"]))
    expect(texts.map((t) => parseDeltaText(t)?.index)).toEqual([0, 1, 2, 3, 4])
    expect(events.at(-1)?.payload).toEqual({ run_id: "r-1", status: "completed", response: { text: texts.join("") } })
  })

  it("a model server that is not there fails the run, after its start", async () => {
    const events = await new Promise<Array<EmulatedEvent>>((resolve) => {
      const seen: Array<EmulatedEvent> = []
      relayRun("http://127.0.0.1:1/v1", "r-2", "hi", (event) => {
        seen.push(event)
        if (event.type === "agent_completed") resolve(seen)
      })
    })
    expect(events.map((e) => e.type)).toEqual(["agent_started", "agent_thinking", "agent_completed"])
    expect(events.at(-1)?.payload["status"]).toBe("failed")
  })
})
