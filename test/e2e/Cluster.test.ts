import { afterEach, describe, expect, it } from "vitest"
import { deletePrefix, redisUrl, uniquePrefix } from "../support/RedisServer.js"
import { startService, type ServiceProcess } from "../support/ServiceProcess.js"
import { type Frame, TestClient } from "../support/TestClient.js"
import { TEST_SECRET, token } from "../support/TestServer.js"
import { type ChildProcess, spawn } from "node:child_process"
import { Redis as IORedis } from "ioredis"
import { keyPart } from "../../src/store/Redis.js"
import { freePort } from "../support/ServiceProcess.js"

/**
 * Cluster mode end to end (issue 14): two or three `npm start` processes on
 * one Redis (the shared one under a prefix of the test's own, or a private
 * `redis-server` the test kills), users' connections spread over them.
 */

const started: Array<ServiceProcess> = []
const cleanUps: Array<() => Promise<void>> = []

afterEach(async () => {
  for (const service of started.splice(0)) {
    service.child.kill("SIGKILL")
    await service.exited
  }
  for (const cleanUp of cleanUps.splice(0)) await cleanUp()
})

/** `count` nodes on `url` under one fresh prefix. */
const cluster = async (count: number, url = redisUrl(), env: Record<string, string> = {}) => {
  const prefix = uniquePrefix()
  // (a private server's keys go with it)
  if (url === redisUrl()) cleanUps.push(() => deletePrefix(url, prefix).catch(() => undefined))
  const nodes: Array<ServiceProcess> = []
  for (let i = 0; i < count; i++) {
    const node = await startService({
      JWT_SECRET: TEST_SECRET,
      REDIS_URL: url,
      REDIS_PREFIX: prefix,
      NODE_ID: `node-${"abc"[i]}`,
      AGENT_STEP_MS: "5",
      ...env
    })
    started.push(node)
    nodes.push(node)
  }
  return nodes
}

const connect = (node: ServiceProcess, user: string) =>
  TestClient.connect(`ws://127.0.0.1:${node.port}/ws?access_token=${token(user)}`)

const streamEvents = (client: TestClient) => client.frames.filter((frame) => frame.seq !== undefined)
const positions = (frames: ReadonlyArray<Frame>) => frames.map((frame) => `${frame.seq}:${frame.type}`)

/** Waits until `check` holds (no timing asserted: the test's own timeout bounds it). */
const eventually = async (check: () => Promise<boolean>) => {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 50))
}

const readyStatus = (node: ServiceProcess) => fetch(`http://127.0.0.1:${node.port}/ready`).then((r) => r.status)

/** The backplane as the node's dashboard last sampled it. */
const backplaneOnDashboard = async (node: ServiceProcess): Promise<Record<string, unknown>> => {
  const snapshot = (await (await fetch(`http://127.0.0.1:${node.port}/dashboard/snapshot`)).json()) as {
    sample: { cluster: { backplane: Record<string, unknown> } }
  }
  return snapshot.sample.cluster.backplane
}

describe("cluster mode (REDIS_URL)", () => {
  it("a user on A and B gets every event on both, same seq, same order; typing reaches the other node", async () => {
    const [a, b] = await cluster(2)
    const onA = await connect(a!, "fan")
    const onB = await connect(b!, "fan")
    // both connections see the same stream
    expect(onB.greeting.payload["epoch"]).toBe(onA.greeting.payload["epoch"])

    const runs: Array<string> = []
    for (const id of ["r1", "r2"]) {
      const ack = await onA.request("start_agent", id, { text: "what is 17 * 23" })
      runs.push(ack.payload["result"].run_id as string)
    }
    for (const runId of runs) {
      await onA.completed(runId)
      await onB.completed(runId)
    }
    const seen = positions(streamEvents(onA))
    expect(seen.length).toBeGreaterThan(6)
    expect(positions(streamEvents(onB))).toEqual(seen)
    expect(streamEvents(onA).map((frame) => frame.seq)).toEqual(seen.map((_, i) => i + 1))

    await onA.request("typing", "t1", { is_typing: true })
    const typing = await onB.next((frame) => frame.type === "typing")
    expect(typing.payload).toMatchObject({ is_typing: true, connection_id: onA.greeting.payload["connection_id"] })
    // typing's id is remembered across nodes too (one dedupe script): its retry on B is a duplicate
    expect((await onB.request("typing", "t1", { is_typing: true })).payload).toEqual({ status: "duplicate", result: {} })
  }, 60_000)

  it("MAX_CONNECTIONS_PER_USER counts the user's connections on every node; the message rate is shared among them", async () => {
    const [a, b] = await cluster(2, redisUrl(), {
      MAX_CONNECTIONS_PER_USER: "2",
      RATE_LIMIT_PER_SEC: "0.01",
      RATE_LIMIT_BURST: "6"
    })
    await connect(a!, "capped")
    const onB = await connect(b!, "capped")
    // one on A and one on B: a third is refused on either node
    await expect(connect(a!, "capped")).rejects.toThrow("HTTP 429")
    await expect(connect(b!, "capped")).rejects.toThrow("HTTP 429")
    await connect(a!, "someone-else")
    // served by two nodes, the user has half the burst on each: 3 frames, then RATE_LIMITED
    for (let i = 0; i < 4; i++) onB.send({ type: "ping", id: `p${i}` })
    expect((await onB.reply("p3")).payload["code"]).toBe("RATE_LIMITED")
    expect((await onB.reply("p2")).type).toBe("pong")
  }, 60_000)

  it("a client that leaves A mid-run resumes on C without loss", async () => {
    const [a, b, c] = await cluster(3)
    const leaving = await connect(a!, "mover")
    const watcher = await connect(b!, "mover")
    const epoch = leaving.greeting.payload["epoch"] as string
    const ack = await leaving.request("start_agent", "r1", { text: "what is 6 * 7", params: { step_ms: 30 } })
    const runId = ack.payload["result"].run_id as string
    await leaving.next((frame) => frame.run_id === runId && frame.type === "agent_thinking")
    await leaving.close()
    const before = streamEvents(leaving)
    const lastSeq = before[before.length - 1]!.seq!

    await watcher.completed(runId)
    const back = await connect(c!, "mover")
    const resumed = await back.request("resume", "re", { last_seq: lastSeq, epoch })
    expect(resumed.payload["result"]).toMatchObject({ gap: false, epoch })
    await back.completed(runId)
    expect(positions([...before, ...streamEvents(back)])).toEqual(positions(streamEvents(watcher)))
  }, 60_000)

  it("a duplicate id on B of a frame A processed is answered with A's result", async () => {
    const [a, b] = await cluster(2)
    const onA = await connect(a!, "dup")
    const first = await onA.request("start_agent", "same-id", { text: "hello" })
    expect(first.payload["status"]).toBe("ok")
    const onB = await connect(b!, "dup")
    const again = await onB.request("start_agent", "same-id", { text: "hello" })
    expect(again.payload).toEqual({ status: "duplicate", result: first.payload["result"] })
  }, 60_000)

  it("users whose ids differ only in lone surrogates, or in one against U+FFFD, share nothing across nodes: neither stream nor ids", async () => {
    const [a, b] = await cluster(2)
    // (a token's `sub` of JSON `"\ud800"` is a lone surrogate, which UTF-8 cannot hold: in Redis it became U+FFFD)
    const users = ["iso\uD800", "iso\uDC00", "iso\uFFFD"]
    const clients = []
    for (const user of users) clients.push({ onA: await connect(a!, user), onB: await connect(b!, user) })
    const runs: Array<string> = []
    for (const { onA } of clients) {
      // the same frame id from each: each user's own, so each is run
      const ack = await onA.request("start_agent", "same-id", { text: "what is 17 * 23" })
      expect(ack.payload["status"]).toBe("ok")
      runs.push(ack.payload["result"].run_id as string)
    }
    for (const [i, { onA, onB }] of clients.entries()) {
      await onA.completed(runs[i]!)
      await onB.completed(runs[i]!)
      // on the other node too, only the user's own run, from seq 1
      const seen = streamEvents(onB)
      expect(new Set(seen.map((frame) => frame.run_id))).toEqual(new Set([runs[i]]))
      expect(seen.map((frame) => frame.seq)).toEqual(seen.map((_, k) => k + 1))
      expect(positions(seen)).toEqual(positions(streamEvents(onA)))
    }
  }, 60_000)

  it("a duplicate whose stored result no node can parse (damaged, another version's) is refused UNAVAILABLE, not run again; the connection goes on", async () => {
    const prefix = uniquePrefix()
    cleanUps.push(() => deletePrefix(redisUrl(), prefix).catch(() => undefined))
    const [a, b] = await cluster(2, redisUrl(), { REDIS_PREFIX: prefix })
    const onA = await connect(a!, "damaged")
    const first = await onA.request("start_agent", "kept-id", { text: "hello" })
    await onA.completed(first.payload["result"].run_id as string)
    const operator = new IORedis(redisUrl(), { maxRetriesPerRequest: 1 })
    try {
      const entries = `${prefix}dd:{${keyPart("damaged")}}:e`
      const stored = await operator.hget(entries, "kept-id")
      expect(stored).toMatch(/^D\d+:\{/)
      await operator.hset(entries, "kept-id", `${stored!.slice(0, stored!.indexOf(":") + 1)}{"run_id":`)
    } finally {
      operator.disconnect()
    }
    const onB = await connect(b!, "damaged")
    const again = await onB.request("start_agent", "kept-id", { text: "hello" })
    expect(again.type).toBe("error")
    expect(again.payload).toMatchObject({ code: "UNAVAILABLE" })
    expect(again.payload["message"]).toMatch(/first result .* cannot read: not processed again within the dedupe window/)
    expect(JSON.stringify(again.payload)).not.toContain("run_id")
    expect((await onB.request("ping", "after")).type).toBe("pong")
    // not run a second time: B saw no run start (a run's agent_started follows its ack at once)
    expect(onB.frames.filter((frame) => frame.type === "agent_started")).toEqual([])
    const metrics = await fetch(`http://127.0.0.1:${b!.port}/metrics`).then((r) => r.text())
    expect(metrics).toContain(`switchyard_redis_unreadable_total{kind="dedupe"} 1`)
  }, 60_000)

  it("a stage change on A governs B", async () => {
    // the types migrate from a legacy backend (which need not answer for a stage to be set)
    const [a, b] = await cluster(2, redisUrl(), { LEGACY_BACKEND_URL: "http://127.0.0.1:9", LEGACY_TYPES: "quality_report" })
    const admin = { authorization: `Bearer ${token("ops", { roles: ["admin"] })}` }
    const put = await fetch(`http://127.0.0.1:${a!.port}/admin/migrations/quality_report`, {
      method: "PUT",
      headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({ stage: "canary", canary_percent: 30 })
    })
    expect(put.status).toBe(200)
    const onB = () =>
      fetch(`http://127.0.0.1:${b!.port}/admin/migrations/quality_report`, { headers: admin }).then((r) => r.json())
    await eventually(async () => (await onB()).stage === "canary")
    expect(await onB()).toMatchObject({ stage: "canary", canary_percent: 30 })
  }, 60_000)

  it("a stage announcement the nodes cannot read (another version's, a hand's) is ignored: every node stays up, and a stage change on A still governs B", async () => {
    const prefix = uniquePrefix()
    cleanUps.push(() => deletePrefix(redisUrl(), prefix).catch(() => undefined))
    const [a, b] = await cluster(2, redisUrl(), {
      REDIS_PREFIX: prefix,
      LEGACY_BACKEND_URL: "http://127.0.0.1:9",
      LEGACY_TYPES: "quality_report"
    })
    const operator = new IORedis(redisUrl(), { maxRetriesPerRequest: 1 })
    try {
      await operator.publish(`${prefix}stages:changes`, "not a stage change")
      await operator.publish(`${prefix}stages:changes`, `5:other14:quality_report{"stage":`)
    } finally {
      operator.disconnect()
    }
    const admin = { authorization: `Bearer ${token("ops", { roles: ["admin"] })}` }
    const put = await fetch(`http://127.0.0.1:${a!.port}/admin/migrations/quality_report`, {
      method: "PUT",
      headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({ stage: "shadow" })
    })
    expect(put.status).toBe(200)
    const onB = () =>
      fetch(`http://127.0.0.1:${b!.port}/admin/migrations/quality_report`, { headers: admin }).then((r) => r.json())
    await eventually(async () => (await onB()).stage === "shadow")
    expect([await readyStatus(a!), await readyStatus(b!)]).toEqual([200, 200])
  }, 60_000)

  it("reports the node id, the backplane's state and each node's connections in /metrics", async () => {
    const [a, b] = await cluster(2)
    await connect(b!, "counted")
    await connect(b!, "counted")
    const metrics = () => fetch(`http://127.0.0.1:${a!.port}/metrics`).then((r) => r.text())
    await eventually(async () => (await metrics()).includes(`switchyard_cluster_node_connections{node_id="node-b"} 2`))
    const text = await metrics()
    expect(text).toContain(`switchyard_node_info{node_id="node-a",mode="redis"} 1`)
    expect(text).toContain("switchyard_backplane_connected 1")
    expect(text).toContain(`switchyard_cluster_node_connections{node_id="node-a"} 0`)
  }, 60_000)
})

/** A private redis-server on a free port (no persistence), to kill and start again. */
const privateRedis = async () => {
  const port = await freePort()
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: "ignore"
    })
    const probe = new IORedis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    probe.on("error", () => undefined)
    await eventually(() => probe.connect().then(() => probe.ping()).then(() => true, () => false).finally(() => probe.disconnect()))
  }
  const kill = () =>
    new Promise<void>((resolve) => {
      if (child === undefined || child.exitCode !== null) return resolve()
      child.once("exit", () => resolve())
      child.kill("SIGKILL")
    })
  await start()
  cleanUps.push(kill)
  return { url: `redis://127.0.0.1:${port}`, start, kill }
}

describe("cluster mode: Redis lost and back", () => {
  it("/ready 503 while Redis is away, local delivery goes on; back: 200, and each client resumes with a gap, then one stream again", async () => {
    const redis = await privateRedis()
    const [a, b] = await cluster(2, redis.url, { REDIS_RECONNECT_MAX_DELAY_MS: "200", REDIS_COMMAND_TIMEOUT_MS: "500" })
    const onA = await connect(a!, "weather")
    const onB = await connect(b!, "weather")
    const epoch = onA.greeting.payload["epoch"] as string
    const first = await onA.request("start_agent", "r1", { text: "what is 2 * 3" })
    await onB.completed(first.payload["result"].run_id as string)

    await redis.kill()
    await eventually(async () => (await readyStatus(a!)) === 503)
    // Redis is away: A's own connection still gets its run, start to end, in seq order (a frame with an
    // id is refused while the shared dedupe store is away, so this one has none)
    onA.send({ type: "start_agent", payload: { text: "what is 4 * 5" } })
    const started = await onA.wait((frame) => frame.type === "agent_started")
    const completed = await onA.completed(started.run_id!)
    expect(completed.payload).toMatchObject({ status: "completed", response: { text: "4 * 5 = 20" } })
    const seqs = streamEvents(onA).map((frame) => frame.seq)
    expect(seqs).toEqual(seqs.map((_, i) => i + 1))

    // back, without its data: the old epoch is gone, so every connection of the user is told to reconnect
    await redis.start()
    await eventually(async () => (await readyStatus(a!)) === 200 && (await readyStatus(b!)) === 200)
    expect((await onA.closed).code).toBe(1012)
    expect((await onB.closed).code).toBe(1012)

    const againA = await connect(a!, "weather")
    const againB = await connect(b!, "weather")
    const lastA = streamEvents(onA).at(-1)!.seq!
    const resumed = await againA.request("resume", "re", { last_seq: lastA, epoch })
    expect(resumed.payload["result"]).toMatchObject({ gap: true })
    expect(resumed.payload["result"].epoch).not.toBe(epoch)

    // and one stream across both nodes again
    const after = await againB.request("start_agent", "r3", { text: "what is 17 * 23" })
    const afterRun = after.payload["result"].run_id as string
    await againA.completed(afterRun)
    await againB.completed(afterRun)
    expect(positions(againA.runEvents(afterRun))).toEqual(positions(againB.runEvents(afterRun)))
  }, 90_000)

  it("Redis full (maxmemory): /ready stays 200, a run reaches its node's connections only; room again: the epoch ends by itself, resume has a gap and the run's end", async () => {
    const redis = await privateRedis()
    const [a, b] = await cluster(2, redis.url, { REDIS_COMMAND_TIMEOUT_MS: "500" })
    const admin = new IORedis(redis.url, { maxRetriesPerRequest: 1 })
    cleanUps.push(async () => void admin.disconnect())
    const onA = await connect(a!, "full")
    const onB = await connect(b!, "full")
    const epoch = onA.greeting.payload["epoch"] as string
    const first = await onA.request("start_agent", "r1", { text: "what is 2 * 3" })
    await onB.completed(first.payload["result"].run_id as string)

    await admin.config("SET", "maxmemory", "1")
    // a frame with an id needs the shared dedupe store, which cannot record it: refused, to be sent again later
    const refused = await onA.request("start_agent", "r2", { text: "what is 4 * 5" })
    expect(refused.payload).toMatchObject({ code: "UNAVAILABLE" })
    onA.send({ type: "start_agent", payload: { text: "what is 4 * 5" } })
    const started = await onA.wait((frame) => frame.type === "agent_started")
    const runId = started.run_id!
    expect((await onA.completed(runId)).payload).toMatchObject({ status: "completed", response: { text: "4 * 5 = 20" } })
    expect(onB.runEvents(runId)).toEqual([])
    expect([await readyStatus(a!), await readyStatus(b!)]).toEqual([200, 200])
    // A's dashboard shows the run's end it owes Redis (its feed samples every second)
    await eventually(async () => (await backplaneOnDashboard(a!)).run_ends_owed === 1)

    // room again: nothing else published, yet both connections are told to resume (the epoch ended)
    await admin.config("SET", "maxmemory", "0")
    expect((await onA.closed).code).toBe(1012)
    expect((await onB.closed).code).toBe(1012)
    const againB = await connect(b!, "full")
    const resumed = await againB.request("resume", "re", { last_seq: streamEvents(onB).at(-1)!.seq!, epoch })
    expect(resumed.payload["result"]).toMatchObject({ gap: true })
    // the run's end, owed by A while Redis was full, reaches B in the new epoch: the run ended on every node
    expect((await againB.completed(runId)).payload).toMatchObject({ status: "completed" })
    await eventually(async () => (await backplaneOnDashboard(a!)).run_ends_owed === 0)
  }, 90_000)

  it("Redis unreachable at start: one line saying so (no password) and a failed exit; REDIS_REQUIRED=false starts degraded", async () => {
    const port = await freePort()
    const url = `redis://:hunter2-secret@127.0.0.1:${port}`
    const failure = await startService({ JWT_SECRET: TEST_SECRET, REDIS_URL: url, REDIS_CONNECT_TIMEOUT_MS: "500" }).then(
      (service) => (started.push(service), "started"),
      (error: Error) => error.message
    )
    expect(failure).toMatch(/switchyard: cannot start: redis: Unreachable: no answer from 127\.0\.0\.1:\d+ within 500 ms/)
    expect(failure).not.toContain("hunter2-secret")
    const degraded = await startService({ JWT_SECRET: TEST_SECRET, REDIS_URL: url, REDIS_REQUIRED: "false" })
    started.push(degraded)
    expect(await readyStatus(degraded)).toBe(503)
    expect(degraded.output()).not.toContain("hunter2-secret")
  }, 60_000)
})
