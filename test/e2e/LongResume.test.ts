import WebSocket from "ws"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

// a client that missed more events than a connection may have in flight must still catch up (PROTOCOL §6)
describe("a resume longer than the outbound bound", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({
      settings: { maxBufferedFrames: 50, agentStepMs: 0, runRateLimitPerMin: 0, maxRunsPerUser: 0 }
    })
  })
  afterAll(() => server.close())

  it("replays every held event on one connection, which stays open", async () => {
    const writer = await TestClient.connect(server.wsUrl(server.token("catch-up")))
    for (let i = 0; i < 30; i++) {
      const ack = await writer.request("user_message", `m-${i}`, { text: "what is 17 * 23" })
      await writer.completed(ack.payload["result"].run_id as string)
    }
    const latest = Math.max(...writer.frames.filter((f) => f.seq !== undefined).map((f) => f.seq!))
    expect(latest).toBeGreaterThan(150)

    const reader = await TestClient.connect(server.wsUrl(server.token("catch-up")))
    const ack = await reader.request("resume", "r-1", { last_seq: 0, epoch: reader.greeting.payload["epoch"] })
    expect(ack.payload["result"]).toMatchObject({ replayed: latest, gap: false })
    expect(reader.frames.filter((f) => f.seq !== undefined).map((f) => f.seq)).toEqual(
      Array.from({ length: latest }, (_, i) => i + 1)
    )
    expect((await reader.request("ping", "still-open")).type).toBe("pong")
    expect(reader.ws.readyState).toBe(WebSocket.OPEN)
    await Promise.all([writer.close(), reader.close()])
  })
})
