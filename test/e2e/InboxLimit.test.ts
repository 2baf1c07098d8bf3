import WebSocket from "ws"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

// frames waiting on one connection are bounded (MAX_INBOX_FRAMES / MAX_INBOX_BYTES): past it, RATE_LIMITED
describe("a connection's inbox", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ settings: { maxInboxFrames: 4 } })
  })
  afterAll(() => server.close())

  it("answers frames past the bound RATE_LIMITED (limit inbox) with their ids, then reads on", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("inbox")))
    // back to back in one tick: they arrive in one socket read, before any is processed
    const burst = Array.from({ length: 20 }, (_, i) => `{"type":"ping","id":"q-${i}"}`)
    for (const frame of burst) client.ws.send(frame)
    const replies = await Promise.all(burst.map((_, i) => client.reply(`q-${i}`)))
    const limited = replies.filter((frame) => frame.type === "error")
    expect(replies.filter((frame) => frame.type === "pong").length).toBeGreaterThanOrEqual(4)
    expect(limited.length).toBeGreaterThan(0)
    for (const frame of limited) {
      expect(frame.payload).toMatchObject({ code: "RATE_LIMITED", details: { limit: "inbox" } })
      expect(frame.payload["details"].retry_after_ms).toBeGreaterThan(0)
    }
    // reading goes on once the inbox has room
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect((await client.request("ping", "after")).type).toBe("pong")
    expect(client.ws.readyState).toBe(WebSocket.OPEN)
    await client.close()
  })
})
