import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Frame, TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

const streamed = (frames: ReadonlyArray<Frame>): number => frames.filter((frame) => frame.seq !== undefined).length

describe("a resume pays for its replay (PROTOCOL §10: one small frame must not buy the history again and again)", () => {
  let server: TestServer
  beforeAll(async () => {
    // three messages at once and next to no refill: each frame costs 1, a replay (under 16 KiB) 1 more
    server = await startServer({ settings: { agentStepMs: 0, rateLimitPerSec: 0.01, rateLimitBurst: 3 } })
  })
  afterAll(() => server.close())

  it("a full replay is served and paid for: the same resume again, over the user's budget, is RATE_LIMITED and replays nothing", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("replayer")))
    const ack = await client.request("user_message", "m1", { text: "what is 3 * 3" })
    await client.completed(ack.payload["result"].run_id as string)
    const history = streamed(client.frames)
    expect(history).toBeGreaterThan(2)

    const before = client.frames.length
    const first = await client.request("resume", "r1", { last_seq: 0 })
    expect(first.type).toBe("ack")
    expect(first.payload["result"]).toMatchObject({ replayed: history, gap: false })
    expect(streamed(client.frames.slice(before))).toBe(history)

    const after = client.frames.length
    const second = await client.request("resume", "r2", { last_seq: 0 })
    expect(second.type).toBe("error")
    expect(second.payload["code"]).toBe("RATE_LIMITED")
    expect(second.payload["details"]).toMatchObject({ limit: "messages" })
    expect(second.payload["details"]["retry_after_ms"]).toBeGreaterThan(0)
    // nothing was replayed for the refused resume
    expect(streamed(client.frames.slice(after))).toBe(0)
    await client.close()
  })
})
