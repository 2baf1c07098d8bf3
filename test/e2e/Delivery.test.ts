import WebSocket from "ws"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Frame, TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

/**
 * A client that does what README tells clients to do: remember the highest
 * seq processed, resume with it as the first frame of every connection, drop
 * nothing silently — and record what it accepted, to check for loss,
 * duplicates and reordering.
 */
class ResumingClient {
  lastSeq = 0
  readonly accepted: Array<Frame> = []
  wireDuplicates = 0

  accept(frame: Frame): void {
    if (frame.seq === undefined) return
    if (frame.seq <= this.lastSeq) {
      this.wireDuplicates++
      return
    }
    // exactly-once, in order: the next accepted seq is always the next one
    expect(frame.seq).toBe(this.lastSeq + 1)
    this.lastSeq = frame.seq
    this.accepted.push(frame)
  }
}

describe("delivery guarantees over real sockets (PROTOCOL §5, §6)", () => {
  let server: TestServer
  beforeAll(async () => {
    // run limits off: these tests start many runs per user on purpose (limits: RunLimits.test.ts)
    server = await startServer({ settings: { agentStepMs: 2, sessionGraceMs: 30_000, runRateLimitPerMin: 0, maxRunsPerUser: 0 } })
  })
  afterAll(() => server.close())

  it("cut at a random point of a run, 100 times: every run arrives exactly once, in order, and completes", async () => {
    const user = `cutter-${Date.now()}`
    const client = new ResumingClient()
    const runIds: Array<string> = []
    let unacked: { readonly id: string; readonly text: string } | undefined
    for (let i = 0; i < 100; i++) {
      const ws = new WebSocket(server.wsUrl(server.token(user)))
      const frames: Array<Frame> = []
      let cutAfter = Math.floor(Math.random() * 12)
      let current: string | undefined
      await new Promise<void>((resolve, reject) => {
        const stuck = setTimeout(
          () => reject(new Error(`iteration ${i} stuck: ${JSON.stringify(frames.slice(-4))}`)),
          10_000
        )
        ws.on("error", reject)
        ws.on("close", () => (clearTimeout(stuck), resolve()))
        ws.on("message", (data) => {
          const frame = JSON.parse(data.toString()) as Frame
          frames.push(frame)
          if (frame.type === "connection_established") {
            ws.send(JSON.stringify({ type: "resume", id: `resume-${i}`, payload: { last_seq: client.lastSeq } }))
            return
          }
          client.accept(frame)
          if (frame.type === "ack" && frame.id === `resume-${i}`) {
            expect(frame.payload["result"].gap).toBe(false)
            // retry the frame whose ack was cut off, with the same id; else start a new run
            unacked ??= { id: `m-${i}`, text: `what is ${i} + ${i}` }
            ws.send(JSON.stringify({ type: "user_message", id: unacked.id, payload: { text: unacked.text } }))
            return
          }
          if (frame.type === "ack" && frame.id === unacked?.id) {
            current = frame.payload["result"].run_id as string
            if (!runIds.includes(current)) runIds.push(current)
            unacked = undefined
            // a retried frame's run may have finished already (its events came in the replay)
            const runId = current
            if (client.accepted.some((f) => f.run_id === runId && f.type === "agent_completed")) ws.terminate()
          }
          const finished = frame.type === "agent_completed" && frame.run_id === current
          if (frame.seq !== undefined && (cutAfter-- <= 0 || finished)) ws.terminate()
        })
      })
    }
    // a last connection collects whatever is still running
    const final = new WebSocket(server.wsUrl(server.token(user)))
    const allCompleted = () =>
      runIds.every((runId) => client.accepted.some((f) => f.run_id === runId && f.type === "agent_completed"))
    await new Promise<void>((resolve, reject) => {
      final.on("error", reject)
      final.on("message", (data) => {
        const frame = JSON.parse(data.toString()) as Frame
        if (frame.type === "connection_established") {
          final.send(JSON.stringify({ type: "resume", id: "final", payload: { last_seq: client.lastSeq } }))
        }
        client.accept(frame)
        if (allCompleted()) resolve()
      })
    })
    final.close()

    expect(runIds.length).toBeGreaterThan(0)
    expect(client.accepted.map((f) => f.seq)).toEqual(client.accepted.map((_, i) => i + 1))
    for (const runId of runIds) {
      const events = client.accepted.filter((f) => f.run_id === runId).map((f) => f.type)
      expect(events[0]).toBe("agent_started")
      expect(events.at(-1)).toBe("agent_completed")
      expect(events.filter((t) => t === "agent_completed")).toHaveLength(1)
    }
    // the hold-then-replay handshake means no event is even sent twice
    expect(client.wireDuplicates).toBe(0)
  }, 120_000)

  it("the same id sent on two connections at once is processed once", async () => {
    const [a, b] = await Promise.all([
      TestClient.connect(server.wsUrl(server.token("twin"))),
      TestClient.connect(server.wsUrl(server.token("twin")))
    ])
    for (let i = 0; i < 20; i++) {
      const frame = { type: "user_message", id: `twin-${i}`, payload: { text: "hello" } }
      a.send(frame)
      b.send(frame)
      const [ra, rb] = await Promise.all([a.reply(`twin-${i}`), b.reply(`twin-${i}`)])
      expect([ra.payload["status"], rb.payload["status"]].sort()).toEqual(["duplicate", "ok"])
      expect(ra.payload["result"]).toEqual(rb.payload["result"])
    }
    const started = a.frames.filter((f) => f.type === "agent_started")
    await a.next((f) => f.type === "agent_completed" && f.run_id === a.frames.filter((x) => x.type === "agent_started").at(-1)?.run_id)
    expect(started.length).toBeLessThanOrEqual(20)
    const runs = new Set(a.frames.filter((f) => f.type === "ack").map((f) => f.payload["result"].run_id))
    expect(runs.size).toBe(20)
    await Promise.all([a.close(), b.close()])
  })

  it("a duplicate is answered with the first result; an errored id is processed again", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("retrier")))
    const first = await client.request("user_message", "dup-1", { text: "what is 1 + 1" })
    client.frames.length = 0
    const again = await client.request("user_message", "dup-1", { text: "what is 1 + 1" })
    expect(again.payload).toEqual({ status: "duplicate", result: first.payload["result"] })
    const failed = await client.request("stop_agent", "dup-2", { run_id: "r-missing" })
    expect(failed.type).toBe("error")
    client.frames.length = 0
    const retried = await client.request("stop_agent", "dup-2", { run_id: first.payload["result"].run_id })
    expect(retried.type).toBe("ack")
    expect(retried.payload["status"]).toBe("ok")
    await client.close()
  })

  it("resume reports a gap when the history no longer reaches back", async () => {
    const small = await startServer({ settings: { agentStepMs: 0, historyMinEvents: 5, historyMaxEvents: 5, historyMinAgeMs: 0 } })
    // (closed however the test ends: test files share a worker)
    try {
      const client = await TestClient.connect(small.wsUrl(small.token("forgetful")))
      const ack = await client.request("user_message", "g", { text: "what is 3 * 3" })
      await client.completed(ack.payload["result"].run_id)
      const lastSeq = client.frames.reduce((max, f) => Math.max(max, f.seq ?? 0), 0)
      expect(lastSeq).toBeGreaterThan(5)
      const epoch = client.greeting.payload["epoch"]
      client.frames.length = 0
      const resumed = await client.request("resume", "r", { last_seq: 0 })
      expect(resumed.payload["result"]).toEqual({ replayed: 5, gap: true, epoch })
      expect(client.frames.filter((f) => f.seq !== undefined).map((f) => f.seq)).toEqual(
        [4, 3, 2, 1, 0].map((back) => lastSeq - back)
      )
      await client.close()
    } finally {
      await small.close()
    }
  })

  it("a client that stops answering pings is closed with 4000; one that answers stays", async () => {
    const beating = await startServer({ settings: { heartbeatMs: 100 } })
    const deaf = new WebSocket(beating.wsUrl(beating.token("deaf")), { autoPong: false })
    try {
      const closed = new Promise<number>((resolve) => deaf.on("close", (code) => resolve(code)))
      const healthy = await TestClient.connect(beating.wsUrl(beating.token("healthy")))
      expect(await closed).toBe(4000)
      expect((await healthy.request("ping", "alive")).type).toBe("pong")
      await healthy.close()
    } finally {
      deaf.terminate()
      await beating.close()
    }
  })
})
