import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RedisProxy } from "../support/RedisProxy.js"
import { deletePrefix, redisUrl, uniquePrefix } from "../support/RedisServer.js"
import { type ServiceProcess, startService } from "../support/ServiceProcess.js"
import { servicesBehindProxy } from "../support/ServicesBehindProxy.js"
import { type Frame, TestClient } from "../support/TestClient.js"
import { TEST_SECRET, token } from "../support/TestServer.js"

// Issue 14: agent runs across two server processes sharing one Redis. A run stays on the node that
// started it; stop_agent from any node reaches it; a node killed mid-run has its runs ended NODE_LOST
// by the survivor once its lease expired; the per-user run limit counts runs on every node.

const LEASE_MS = 2_000

const startNode = (prefix: string, nodeId: string, env: Record<string, string> = {}) =>
  startService({
    JWT_SECRET: TEST_SECRET,
    REDIS_URL: redisUrl(),
    REDIS_PREFIX: prefix,
    REDIS_RUN_LEASE_MS: String(LEASE_MS),
    NODE_ID: nodeId,
    // runs of about 8 events, one a second: long enough to act on one while it goes
    AGENT_STEP_MS: "1000",
    ...env
  })

const connect = (node: ServiceProcess, user: string) =>
  TestClient.connect(`ws://127.0.0.1:${node.port}/ws?access_token=${token(user)}`)

const runIdOf = (ack: Frame): string => {
  expect(ack.type).toBe("ack")
  return ack.payload["result"].run_id as string
}

describe("agent runs across two nodes", () => {
  let a: ServiceProcess
  let b: ServiceProcess
  let proxy: RedisProxy
  let stopNodes: (() => Promise<void>) | undefined
  beforeAll(async () => {
    // A reaches Redis through a proxy (which the last test cuts); B reaches it directly
    ;({ services: [a, b], proxy, stop: stopNodes } = await servicesBehindProxy([
      (redis) =>
        startNode(redis.prefix, "node-a", { REDIS_URL: redis.proxy.url, REDIS_RECONNECT_MAX_DELAY_MS: "200", REDIS_COMMAND_TIMEOUT_MS: "500" }),
      (redis) => startNode(redis.prefix, "node-b")
    ]))
  }, 60_000)
  afterAll(() => stopNodes?.())

  it("stop_agent on B stops a run on A: acked stopped, the run ends cancelled; again: stopped false", async () => {
    const onA = await connect(a, "stopper")
    const onB = await connect(b, "stopper")
    const runId = runIdOf(await onA.request("start_agent", "s1", { text: "what is 17 * 23" }))
    await onA.next((frame) => frame.run_id === runId && frame.type === "agent_started")

    const stop = await onB.request("stop_agent", "s2", { run_id: runId })
    expect(stop.type).toBe("ack")
    expect(stop.payload["result"]).toEqual({ run_id: runId, stopped: true })
    const completed = await onA.completed(runId)
    expect(completed.payload["status"]).toBe("cancelled")
    // PROTOCOL §4: the ack comes before the event it causes, on every connection that gets both
    const ackAt = onB.frames.indexOf(stop)
    const cancelledOnB = onB.frames.findIndex((frame) => frame.run_id === runId && frame.type === "agent_completed")
    if (cancelledOnB !== -1) expect(cancelledOnB).toBeGreaterThan(ackAt)

    const again = await onB.request("stop_agent", "s3", { run_id: runId })
    expect(again.payload["result"]).toEqual({ run_id: runId, stopped: false })
    await onA.close()
    await onB.close()
  }, 30_000)

  it("stop_agent on B of another user's run on A, or of an unknown id, is NOT_FOUND; the run goes on", async () => {
    const owner = await connect(a, "owner")
    const other = await connect(b, "intruder")
    const runId = runIdOf(await owner.request("start_agent", "o1", { text: "hi" }))
    const foreign = await other.request("stop_agent", "i1", { run_id: runId })
    expect(foreign.type).toBe("error")
    expect(foreign.payload["code"]).toBe("NOT_FOUND")
    const unknown = await other.request("stop_agent", "i2", { run_id: "r-nope" })
    expect(unknown.payload["code"]).toBe("NOT_FOUND")
    expect((await owner.completed(runId, 20_000)).payload["status"]).toBe("completed")
    await owner.close()
    await other.close()
  }, 30_000)

  it("MAX_RUNS_PER_USER counts the user's runs on both nodes", async () => {
    // the default limit is 10 at once: ten runs going on A leave none for B
    const onA = await connect(a, "busy")
    const onB = await connect(b, "busy")
    const runs: Array<string> = []
    for (let i = 0; i < 10; i++) runs.push(runIdOf(await onA.request("start_agent", `a${i}`, { text: "hi" })))
    const refused = await onB.request("start_agent", "b1", { text: "hi" })
    expect(refused.type).toBe("error")
    expect(refused.payload["code"]).toBe("RATE_LIMITED")
    expect(refused.payload["details"].limit).toBe("runs_at_once")
    // one ends (stopped from B): B may start one
    expect((await onB.request("stop_agent", "b2", { run_id: runs[0] })).payload["result"].stopped).toBe(true)
    await onA.completed(runs[0]!)
    runIdOf(await onB.request("start_agent", "b3", { text: "hi" }))
    await onA.close()
    await onB.close()
  }, 30_000)

  // (last: it cuts A off from Redis)
  it("stops its runs when its lease lapses: the user on B sees NODE_LOST once, and no event of that run after it", async () => {
    const onA = await connect(a, "cut")
    const onB = await connect(b, "cut")
    const runId = runIdOf(await onA.request("start_agent", "c1", { text: "what is 17 * 23" }))
    await onB.next((frame) => frame.run_id === runId && frame.type === "agent_started")
    proxy.block()

    const lost = await onB.completed(runId, LEASE_MS * 5)
    expect(lost.payload).toMatchObject({ status: "failed", error: { code: "NODE_LOST" } })

    // A has Redis back. It delivered the run's events to its own connection alone meanwhile, so the
    // stream's epoch ends: the user's connections on both nodes are told to reconnect and resume
    proxy.unblock()
    expect((await onB.closed).code).toBe(1012)
    // (on A too: a connection made on A before this would have been told the same, right after its greeting)
    expect((await onA.closed).code).toBe(1012)
    // the lost run ended once on B, with nothing of it after its end
    const ofLost = onB.frames.filter((frame) => frame.run_id === runId)
    expect(ofLost.at(-1)!.type).toBe("agent_completed")
    expect(ofLost.filter((frame) => frame.type === "agent_completed")).toHaveLength(1)

    // and A's runs go on after the lapse, under a new lease: a new one reaches B, start to end
    while ((await fetch(`http://127.0.0.1:${a.port}/ready`).then((r) => r.status)) !== 200) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const again = await connect(a, "cut")
    // its client resumes there: the new epoch holds what Redis held of the old one, the run's NODE_LOST end from B with it
    const lastSeen = onA.frames.filter((frame) => frame.seq !== undefined).at(-1)!.seq!
    const resumed = await again.request("resume", "re", { last_seq: lastSeen, epoch: onA.greeting.payload["epoch"] })
    expect(resumed.payload["result"]).toMatchObject({ gap: true })
    const ends = again.runEvents(runId).filter((frame) => frame.type === "agent_completed")
    expect(ends.map((frame) => frame.payload)).toMatchObject([{ status: "failed", error: { code: "NODE_LOST" } }])
    const watching = await connect(b, "cut")
    const started = await again.request("start_agent", "c2", { text: "hi", params: { step_ms: 20 } })
    expect(started.payload).toMatchObject({ status: "ok" })
    expect((await watching.completed(runIdOf(started), 20_000)).payload["status"]).toBe("completed")
    // (the lost run would have gone on a step a second: give it one to show itself)
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(watching.frames.some((frame) => frame.run_id === runId)).toBe(false)
    await watching.close()
    await again.close()
  }, 60_000)
})

describe("a run's end seen on the user's other node", () => {
  let a: ServiceProcess
  let b: ServiceProcess
  let proxy: RedisProxy
  let stopNodes: (() => Promise<void>) | undefined
  beforeAll(async () => {
    // one run at once per user; A's Redis answers come late (through a proxy), B's at once
    ;({ services: [a, b], proxy, stop: stopNodes } = await servicesBehindProxy([
      (redis) => startNode(redis.prefix, "node-a", { REDIS_URL: redis.proxy.url, MAX_RUNS_PER_USER: "1" }),
      (redis) => startNode(redis.prefix, "node-b", { MAX_RUNS_PER_USER: "1" })
    ]))
  }, 60_000)
  afterAll(() => stopNodes?.())

  it("start_agent on B right after the agent_completed of a run on A is admitted; stop_agent of that run is stopped false", async () => {
    const onA = await connect(a, "eager")
    const onB = await connect(b, "eager")
    // A hears back from Redis 300 ms after it asked: the run's agent_completed reaches B (straight from
    // Redis) long before A learns it was published — its end must be in Redis before it is published
    proxy.delay(300)
    const runId = runIdOf(await onA.request("start_agent", "e1", { text: "hi", params: { step_ms: 20 } }))
    const completed = await onB.completed(runId, 20_000)
    expect(completed.payload["status"]).toBe("completed")
    const next = await onB.request("start_agent", "e2", { text: "hi", params: { step_ms: 20 } })
    expect(next.payload).toMatchObject({ status: "ok" })
    const stop = await onB.request("stop_agent", "e3", { run_id: runId })
    expect(stop.payload["result"]).toEqual({ run_id: runId, stopped: false })
    proxy.delay(0)
    await onB.completed(runIdOf(next), 20_000)
    await onA.close()
    await onB.close()
  }, 30_000)
})

describe("a node killed mid-run", () => {
  const prefix = uniquePrefix()
  let a: ServiceProcess
  let b: ServiceProcess
  beforeAll(async () => {
    ;[a, b] = await Promise.all([startNode(prefix, "node-a"), startNode(prefix, "node-b")])
  }, 60_000)
  afterAll(async () => {
    for (const node of [a, b]) node?.child.kill("SIGKILL")
    await deletePrefix(redisUrl(), prefix)
  })

  it("SIGKILL of A mid-run: the user on B sees the run end failed NODE_LOST once A's lease expired, once", async () => {
    const onA = await connect(a, "survivor")
    const onB = await connect(b, "survivor")
    const runId = runIdOf(await onA.request("start_agent", "k1", { text: "what is 17 * 23" }))
    await onA.next((frame) => frame.run_id === runId && frame.type === "agent_started")
    a.child.kill("SIGKILL")
    await a.exited

    // within the lease plus a sweep (a quarter lease), with room for a loaded machine
    const lost = await onB.completed(runId, LEASE_MS * 5)
    expect(lost.payload).toMatchObject({
      run_id: runId,
      status: "failed",
      error: { code: "NODE_LOST", message: expect.any(String) }
    })
    expect(typeof lost.seq).toBe("number")
    // no run stays running: B answers for it as ended, and ends it once
    expect((await onB.request("stop_agent", "k2", { run_id: runId })).payload["result"]).toEqual({ run_id: runId, stopped: false })
    expect(onB.frames.filter((frame) => frame.run_id === runId && frame.type === "agent_completed")).toHaveLength(1)
    await onB.close()
  }, 30_000)
})
