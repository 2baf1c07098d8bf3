import { Schema } from "effect"
import { setTimeout as sleep } from "node:timers/promises"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ConnectionEstablished } from "../../src/protocol/Notices.js"
import { ResumeResult as ResumeAck } from "../../src/protocol/Results.js"
import { type Frame, TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

// exactly the PROTOCOL §4 shapes: a field more or less fails
const exactly = <A, I>(schema: Schema.Schema<A, I>) => Schema.decodeUnknownSync(schema, { onExcessProperty: "error" })

const seqs = (frames: ReadonlyArray<Frame>): Array<number> =>
  frames.flatMap((frame) => (frame.seq === undefined ? [] : [frame.seq]))

/** Runs one agent run on `client` and returns the seqs of its events, once it has completed. */
const run = async (client: TestClient, id: string): Promise<Array<number>> => {
  const ack = await client.request("user_message", id, { text: "what is 3 * 3" })
  const runId = ack.payload["result"].run_id as string
  await client.completed(runId)
  return seqs(client.runEvents(runId))
}

describe("stream epochs and resume (PROTOCOL §4, §6)", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ settings: { agentStepMs: 0, sessionGraceMs: 100 } })
  })
  afterAll(() => server.close())

  it("after the context is released the stream starts a new epoch; a resume from the old one is a gap and loses nothing", async () => {
    const user = "released"
    const first = await TestClient.connect(server.wsUrl(server.token(user)))
    const oldEpoch = first.greeting.payload["epoch"]
    expect(oldEpoch).toEqual(expect.any(String))
    const seen = await run(first, "m1")
    const lastSeq = Math.max(...seen)
    expect(seen).toEqual(seen.map((_, i) => i + 1))
    await first.close()

    // wait out the grace period: a reconnect within it would keep the context (and its epoch)
    let second: TestClient | undefined
    for (let attempt = 0; attempt < 50 && second === undefined; attempt++) {
      await sleep(200)
      const probe = await TestClient.connect(server.wsUrl(server.token(user)))
      if (probe.greeting.payload["epoch"] !== oldEpoch) second = probe
      else await probe.close()
    }
    expect(second).toBeDefined()
    const fresh = second!
    expect(fresh.greeting.payload["last_seq"]).toBe(0)
    const newEpoch = fresh.greeting.payload["epoch"]
    expect(newEpoch).toEqual(expect.any(String))
    expect(newEpoch).not.toBe(oldEpoch)

    // the new epoch's first run counts from 1 again, up to the old run's last seq
    const again = await run(fresh, "m2")
    expect(again).toEqual(seen)

    // a client that saw the old epoch up to lastSeq resumes: a gap, and the new epoch is replayed whole
    const returning = await TestClient.connect(server.wsUrl(server.token(user)))
    const resumed = await returning.request("resume", "r1", { last_seq: lastSeq, epoch: oldEpoch })
    expect(resumed.payload["result"]).toEqual({ replayed: again.length, gap: true, epoch: newEpoch })
    expect(seqs(returning.frames)).toEqual(again)
    await Promise.all([fresh.close(), returning.close()])
  })

  it("a resume from above the stream's latest seq is a gap and replays nothing", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("ahead")))
    const epoch = client.greeting.payload["epoch"]
    const seen = await run(client, "m1")
    const lastSeq = Math.max(...seen)
    client.frames.length = 0
    const resumed = await client.request("resume", "r1", { last_seq: lastSeq + 8, epoch })
    expect(resumed.payload["result"]).toEqual({ replayed: 0, gap: true, epoch })
    // the same without an epoch (a client that does not keep one)
    const bare = await client.request("resume", "r2", { last_seq: lastSeq + 1 })
    expect(bare.payload["result"]).toEqual({ replayed: 0, gap: true, epoch })
    expect(seqs(client.frames)).toEqual([])
    await client.close()
  })

  it("a resume in the stream's epoch within history replays exactly what was missed, without a gap", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("exact")))
    const epoch = client.greeting.payload["epoch"]
    const seen = await run(client, "m1")
    const lastSeq = Math.max(...seen)
    expect(lastSeq).toBeGreaterThan(3)
    const other = await TestClient.connect(server.wsUrl(server.token("exact")))
    expect(other.greeting.payload).toMatchObject({ last_seq: lastSeq, epoch })
    const resumed = await other.request("resume", "r1", { last_seq: 2, epoch })
    expect(resumed.payload["result"]).toEqual({ replayed: lastSeq - 2, gap: false, epoch })
    expect(other.frames.filter((f) => f.seq !== undefined).map((f) => f.seq)).toEqual(seen.slice(2))
    const upToDate = await other.request("resume", "r2", { last_seq: lastSeq, epoch })
    expect(upToDate.payload["result"]).toEqual({ replayed: 0, gap: false, epoch })
    await Promise.all([client.close(), other.close()])
  })

  it("the greeting and the resume ack have exactly the shapes of PROTOCOL §4", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("shapes")))
    const greeting = exactly(ConnectionEstablished)(client.greeting.payload)
    expect(greeting).toMatchObject({ user_id: "shapes", last_seq: 0 })
    const resumed = await client.request("resume", "r1", { last_seq: 0, epoch: greeting.epoch })
    expect(resumed.payload["status"]).toBe("ok")
    expect(exactly(ResumeAck)(resumed.payload["result"])).toEqual({ replayed: 0, gap: false, epoch: greeting.epoch })
    await client.close()
  })

  it("an epoch that is not a string is INVALID_MESSAGE and the connection goes on", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("bad-epoch")))
    const bad = await client.request("resume", "r1", { last_seq: 0, epoch: 7 })
    expect(bad.type).toBe("error")
    expect(bad.payload["code"]).toBe("INVALID_MESSAGE")
    expect((await client.request("ping", "p")).type).toBe("pong")
    await client.close()
  })
})
