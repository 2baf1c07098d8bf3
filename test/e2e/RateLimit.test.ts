import WebSocket from "ws"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Frame } from "../support/TestClient.js"
import { TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

const isRateLimited = (frame: Frame): boolean => frame.type === "error" && frame.payload["code"] === "RATE_LIMITED"

describe("messages per second per user (PROTOCOL §10, RATE_LIMIT_PER_SEC / RATE_LIMIT_BURST)", () => {
  let server: TestServer
  beforeAll(async () => {
    // 2 a second, 5 at once: a flood shows quickly, and a token is due within half a second
    server = await startServer({ settings: { rateLimitPerSec: 2, rateLimitBurst: 5 } })
  })
  afterAll(() => server.close())

  it("a flooding user gets RATE_LIMITED with retry_after_ms on every connection; another user is untouched", async () => {
    const flooder = server.token("flooder")
    const first = await TestClient.connect(server.wsUrl(flooder))
    const second = await TestClient.connect(server.wsUrl(flooder))
    const bystander = await TestClient.connect(server.wsUrl(server.token("bystander")))
    // 30 frames of one user over two connections (the budget is the user's, not a connection's)
    for (let i = 0; i < 15; i++) {
      first.send({ type: "ping", id: `a-${i}` })
      second.send({ type: "typing", id: `b-${i}`, payload: { is_typing: true } })
    }
    const bystanderReplies = await Promise.all([0, 1, 2, 3, 4].map((i) => bystander.request("ping", `c-${i}`)))
    const replies = [
      ...await Promise.all(Array.from({ length: 15 }, (_, i) => first.reply(`a-${i}`))),
      ...await Promise.all(Array.from({ length: 15 }, (_, i) => second.reply(`b-${i}`)))
    ]
    const limited = replies.filter(isRateLimited)
    const served = replies.filter((frame) => !isRateLimited(frame))
    // at most the burst plus what refilled meanwhile got through; the frames over it were refused, each with its id
    expect(limited.length).toBeGreaterThanOrEqual(15)
    expect(served.length).toBeGreaterThanOrEqual(5)
    for (const frame of served) expect(["pong", "ack"]).toContain(frame.type)
    for (const frame of limited) {
      const retry = frame.payload["details"]["retry_after_ms"]
      expect(Number.isInteger(retry)).toBe(true)
      expect(retry).toBeGreaterThan(0)
      expect(retry).toBeLessThanOrEqual(500)
      expect(frame.payload["details"]["limit"]).toBe("messages")
    }
    // the other user was served in full
    expect(bystanderReplies.map((frame) => frame.type)).toEqual(["pong", "pong", "pong", "pong", "pong"])
    // the connections stay open, and after retry_after_ms the user is served again
    expect(first.ws.readyState).toBe(WebSocket.OPEN)
    const retryAfter = Math.max(...limited.map((frame) => frame.payload["details"]["retry_after_ms"] as number))
    await new Promise((resolve) => setTimeout(resolve, retryAfter))
    expect((await first.request("ping", "again")).type).toBe("pong")
    await Promise.all([first.close(), second.close(), bystander.close()])
  })

})

describe("what a frame costs against the user's rate", () => {
  let server: TestServer
  beforeAll(async () => {
    // one token every 5 s: nothing refills while the test runs
    server = await startServer({ settings: { rateLimitPerSec: 0.2, rateLimitBurst: 5 } })
  })
  afterAll(() => server.close())

  it("a batch counts as its number of messages, and bad frames count too", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("batcher")))
    const messages = Array.from({ length: 5 }, (_, i) => ({ type: "typing", id: `in-${i}`, payload: { is_typing: false } }))
    const batch = await client.request("batch", "batch-1", { messages })
    expect(batch.type).toBe("ack")
    // the batch took the whole burst: the next frame, even a malformed one, is refused with its id
    client.send(JSON.stringify({ type: "typing", id: "after-batch", payload: { is_typing: "no" } }))
    const refused = await client.reply("after-batch")
    expect(refused.payload["code"]).toBe("RATE_LIMITED")
    await client.close()
  })
})
