import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

const BUDGET = 1500

describe("a user's history is bounded in bytes (PROTOCOL §6, §10)", () => {
  let server: TestServer
  beforeAll(async () => {
    // the count and age minimums would keep everything: the byte budget wins over them
    server = await startServer({ settings: { agentStepMs: 0, historyMaxBytes: BUDGET } })
  })
  afterAll(() => server.close())

  it("a stream with more bytes than the budget resumes with a correct gap, replaying the newest events that fit", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("chatty")))
    const epoch = client.greeting.payload["epoch"]
    for (const id of ["m1", "m2"]) {
      const ack = await client.request("user_message", id, { text: "what is 17 * 23" })
      await client.completed(ack.payload["result"].run_id)
    }
    const events = client.frames.filter((f) => f.seq !== undefined)
    const lastSeq = events.at(-1)!.seq!
    const streamBytes = events.reduce((sum, f) => sum + Buffer.byteLength(JSON.stringify(f)), 0)
    expect(streamBytes).toBeGreaterThan(2 * BUDGET)

    const other = await TestClient.connect(server.wsUrl(server.token("chatty")))
    const resumed = await other.request("resume", "r1", { last_seq: 0, epoch })
    const replayed = other.frames.filter((f) => f.seq !== undefined)
    expect(resumed.payload["result"]).toEqual({ replayed: replayed.length, gap: true, epoch })
    expect(replayed.length).toBeGreaterThan(0)
    expect(replayed.length).toBeLessThan(lastSeq)
    // the newest events, contiguous, within the budget
    expect(replayed.map((f) => f.seq)).toEqual(replayed.map((_, i) => lastSeq - replayed.length + 1 + i))
    expect(replayed.reduce((sum, f) => sum + Buffer.byteLength(JSON.stringify(f)), 0)).toBeLessThanOrEqual(BUDGET)

    // from a position history still reaches: no gap, exactly what was missed
    other.frames.length = 0
    const oldestHeld = replayed[0]!.seq!
    const inside = await other.request("resume", "r2", { last_seq: oldestHeld, epoch })
    expect(inside.payload["result"]).toEqual({ replayed: lastSeq - oldestHeld, gap: false, epoch })
    expect(other.frames.filter((f) => f.seq !== undefined).map((f) => f.seq)).toEqual(
      replayed.slice(1).map((f) => f.seq)
    )
    await Promise.all([client.close(), other.close()])
  })
})
