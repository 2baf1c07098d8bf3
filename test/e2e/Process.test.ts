import { spawnSync } from "node:child_process"
import WebSocket from "ws"
import { describe, expect, it } from "vitest"
import { startService } from "../support/ServiceProcess.js"
import { TestClient } from "../support/TestClient.js"
import { TEST_SECRET, token } from "../support/TestServer.js"

describe("the service as a process (npm start)", () => {
  it("drains on SIGTERM: /ready 503, new upgrades 503, running runs finish, 1012, exit 0", async () => {
    const service = await startService({ JWT_SECRET: TEST_SECRET, DRAIN_TIMEOUT_MS: "10000" })
    const base = `http://127.0.0.1:${service.port}`
    const client = await TestClient.connect(`ws://127.0.0.1:${service.port}/ws?access_token=${token("drainee")}`)
    // a run of ~1.5 s: it is still going when the signal arrives
    const ack = await client.request("start_agent", "slow", { text: "what is 6 * 7", params: { step_ms: 150 } })
    const runId = ack.payload["result"].run_id as string
    await client.next((f) => f.run_id === runId && f.type === "agent_thinking")
    service.child.kill("SIGTERM")

    let ready = 200
    while (ready === 200) ready = (await fetch(`${base}/ready`)).status
    expect(ready).toBe(503)
    const upgrade = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${service.port}/ws?access_token=${token("late")}`)
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0))
      ws.on("open", () => resolve(101))
      ws.on("error", () => resolve(-1))
    })
    expect(upgrade).toBe(503)

    const completed = await client.completed(runId, 15_000)
    expect(completed.payload).toMatchObject({ status: "completed", response: { text: "6 * 7 = 42" } })
    expect((await client.closed).code).toBe(1012)
    expect(await service.exited).toBe(0)
  }, 60_000)

  it("a drain gives up on runs after DRAIN_TIMEOUT_MS: 1012 with the run still going, exit 0", async () => {
    const service = await startService({ JWT_SECRET: TEST_SECRET, DRAIN_TIMEOUT_MS: "300" })
    const client = await TestClient.connect(`ws://127.0.0.1:${service.port}/ws?access_token=${token("drainee")}`)
    // a run of ~4 s: far longer than the drain waits
    const ack = await client.request("start_agent", "slow", { text: "what is 6 * 7", params: { step_ms: 500 } })
    const runId = ack.payload["result"].run_id as string
    await client.next((f) => f.run_id === runId && f.type === "agent_thinking", 5_000)
    service.child.kill("SIGTERM")
    expect((await client.closed).code).toBe(1012)
    // closed before the run got to its end
    expect(client.frames.some((f) => f.run_id === runId && f.type === "agent_completed")).toBe(false)
    expect(await service.exited).toBe(0)
  }, 60_000)

  it("closes a client that stops reading with 1013 while the server's memory stays bounded", async () => {
    // V8 lets garbage pile up to its heap limit before a full collection; a modest limit makes
    // RSS show what is retained (buffered data lives outside the heap and is not capped by it)
    const service = await startService(
      { JWT_SECRET: TEST_SECRET, MAX_BUFFERED_BYTES: String(256 * 1024) },
      ["--max-old-space-size=192"]
    )
    try {
      const url = `ws://127.0.0.1:${service.port}/ws?access_token=${token("sleepy")}`
      const talker = await TestClient.connect(url)
      const thread = "t".repeat(256)
      const messages = Array.from({ length: 100 }, () => ({ type: "typing", payload: { is_typing: true, thread_id: thread } }))
      // `batches` × 100 typing notices (~450 bytes each) sent at the user's other connection;
      // returns the peak RSS. Batches carry no id (their results would rightly stay in the
      // dedupe window); a ping every 50 batches paces the sender (frames run in order).
      const blast = async (tag: string, batches: number) => {
        let peak = 0
        for (let i = 0; i < batches; i++) {
          talker.send({ type: "batch", payload: { messages } })
          if (i % 50 === 49) {
            await talker.request("ping", `${tag}-${i}`)
            peak = Math.max(peak, service.rss())
          }
        }
        return peak
      }
      // control: the same work delivered to a connection that reads (~90 MB), so the
      // comparison below is not about V8 warming up
      const reader = new WebSocket(url)
      await new Promise((resolve) => reader.once("open", resolve))
      const readingPeak = await blast("reading", 2000)
      reader.close()
      await new Promise((resolve) => reader.once("close", resolve))

      // now a connection that stops reading: its TCP window fills, then the server's 256 KB buffer
      const sleepy = await TestClient.connect(url)
      const socket = (sleepy.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket
      let received = 0
      sleepy.ws.on("message", (data: Buffer) => (received += data.length))
      socket.pause()
      const stalledPeak = await blast("stalled", 2000)
      socket.resume()
      expect((await sleepy.closed).code).toBe(1013)
      // ~90 MB were aimed at it; it got only what the kernel and the 256 KB buffer held before 1013
      expect(received).toBeLessThan(16 * 1024 * 1024)
      // and the server kept none of the rest
      expect(stalledPeak - readingPeak).toBeLessThan(32 * 1024 * 1024)
      expect((await talker.request("ping", "still")).type).toBe("pong")
      await talker.close()
    } finally {
      service.child.kill("SIGTERM")
      await service.exited
    }
  }, 60_000)

  it("refuses to start in production without JWT_SECRET, saying why", () => {
    const { JWT_SECRET: _secret, ...env } = process.env
    const result = spawnSync(process.execPath, ["scripts/start.mjs"], {
      env: { ...env, NODE_ENV: "production", PORT: "0" },
      encoding: "utf8",
      timeout: 30_000
    })
    expect(result.status).not.toBe(0)
    expect(`${result.stdout}${result.stderr}`).toContain("JWT_SECRET must be set when NODE_ENV=production")
  }, 60_000)
})
