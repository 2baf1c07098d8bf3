import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

/**
 * One user floods the service from several connections while another runs
 * the golden path (PROTOCOL §10: one client must never slow, starve or break
 * another). The service runs with its default limits.
 */

interface GoldenPath {
  readonly ackMs: number
  readonly completedMs: number
}

const goldenPath = async (client: TestClient, id: string): Promise<GoldenPath> => {
  const started = performance.now()
  const ack = await client.request("user_message", id, { text: "what is 17 * 23" })
  const ackMs = performance.now() - started
  expect(ack.payload["status"]).toBe("ok")
  const completed = await client.completed(ack.payload["result"].run_id as string)
  expect(completed.payload["status"]).toBe("completed")
  expect(completed.payload["response"].text).toContain("391")
  return { ackMs, completedMs: performance.now() - started }
}

const worst = (paths: ReadonlyArray<GoldenPath>) => ({
  ack_ms_max: Math.round(Math.max(...paths.map((p) => p.ackMs)) * 10) / 10,
  completed_ms_max: Math.round(Math.max(...paths.map((p) => p.completedMs)))
})

// what a flooding client sends, round after round: cheap frames, expensive text, batches, garbage
const floodRound = (round: number): Array<string> => {
  const frames: Array<string> = []
  for (let i = 0; i < 50; i++) frames.push(JSON.stringify({ type: "ping", id: `p-${round}-${i}` }))
  frames.push(JSON.stringify({ type: "user_message", id: `u-${round}`, payload: { text: "*/".repeat(16_000) } }))
  frames.push(JSON.stringify({
    type: "batch",
    id: `b-${round}`,
    payload: { messages: Array.from({ length: 100 }, (_, i) => ({ type: "user_message", id: `bi-${round}-${i}`, payload: { text: "1+".repeat(8000) } })) }
  }))
  frames.push(JSON.stringify({ type: "error", payload: { message: "x", details: { blob: "y".repeat(100_000) } } }))
  frames.push("{not json")
  return frames
}

describe("a flood from one user while another runs the golden path", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(() => server.close())

  it("keeps the other user's latency in its normal range, and tells the flooder to slow down", async () => {
    const steady = await TestClient.connect(server.wsUrl(server.token("steady")))
    const quiet: Array<GoldenPath> = []
    for (let i = 0; i < 5; i++) quiet.push(await goldenPath(steady, `quiet-${i}`))

    const flooders = await Promise.all(
      Array.from({ length: 3 }, () => TestClient.connect(server.wsUrl(server.token("flooder"))))
    )
    let flooding = true
    let sent = 0
    const flood = (async () => {
      for (let round = 0; flooding && round < 400; round++) {
        for (const flooder of flooders) {
          for (const frame of floodRound(round)) flooder.ws.send(frame)
          sent += 1
        }
        // let the socket drain a little: a flood, not a test client that buffers gigabytes
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    })()
    const loaded: Array<GoldenPath> = []
    for (let i = 0; i < 10; i++) loaded.push(await goldenPath(steady, `loaded-${i}`))
    flooding = false
    await flood

    const limited = flooders.flatMap((f) => f.frames).filter((f) => f.type === "error" && f.payload["code"] === "RATE_LIMITED")
    console.log("flood:", { rounds_sent: sent, rate_limited: limited.length, quiet: worst(quiet), loaded: worst(loaded) })
    expect(limited.length).toBeGreaterThan(0)
    expect(limited[0]!.payload["details"].retry_after_ms).toBeGreaterThan(0)
    // a stall shows as seconds; the normal range is milliseconds
    expect(worst(loaded).ack_ms_max).toBeLessThan(Math.max(500, 20 * worst(quiet).ack_ms_max))
    // the flooder's connections are still open and answer once the flood stops
    await new Promise((resolve) => setTimeout(resolve, 1500))
    flooders[0]!.send({ type: "ping", id: "after-flood" })
    expect((await flooders[0]!.reply("after-flood", 20_000)).type).toBe("pong")
    await Promise.all([steady, ...flooders].map((client) => client.close()))
  }, 120_000)
})
