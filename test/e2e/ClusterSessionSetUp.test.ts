import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import WebSocket from "ws"
import type { RedisProxy } from "../support/RedisProxy.js"
import { type ServiceProcess, startService } from "../support/ServiceProcess.js"
import { type ProxiedRedis, servicesBehindProxy } from "../support/ServicesBehindProxy.js"
import { TestClient } from "../support/TestClient.js"
import { TEST_SECRET, token } from "../support/TestServer.js"

// Cluster mode: a connect's user session is made with a Redis round trip (its stream subscribes). A connect
// whose session cannot be made (Redis away) is closed, not left waiting; one still waiting when the node drains
// is closed 1012 with the others, never greeted.

const startNode = (redis: ProxiedRedis, env: Record<string, string> = {}) =>
  startService({
    JWT_SECRET: TEST_SECRET,
    REDIS_URL: redis.proxy.url,
    REDIS_PREFIX: redis.prefix,
    REDIS_RECONNECT_MAX_DELAY_MS: "200",
    REDIS_COMMAND_TIMEOUT_MS: "500",
    ...env
  })

const wsUrl = (node: ServiceProcess, user: string) => `ws://127.0.0.1:${node.port}/ws?access_token=${token(user)}`

/** Opens a socket and records what it is sent until it closes. */
const open = async (url: string) => {
  const ws = new WebSocket(url)
  const types: Array<string> = []
  ws.on("message", (data) => types.push((JSON.parse(data.toString()) as { type: string }).type))
  const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve())
    ws.once("error", reject)
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
  })
  return { ws, types, closed }
}

const untilReady = async (node: ServiceProcess) => {
  while ((await fetch(`http://127.0.0.1:${node.port}/ready`).then((r) => r.status)) !== 200) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe("cluster mode: a connect whose session cannot be made", () => {
  let node: ServiceProcess
  let proxy: RedisProxy
  let stopNode: (() => Promise<void>) | undefined
  beforeAll(async () => {
    ;({ services: [node], proxy, stop: stopNode } = await servicesBehindProxy([(redis) => startNode(redis)]))
  }, 60_000)
  afterAll(() => stopNode?.())

  it("is closed 1013 while Redis is away, and the user connects again once it is back", async () => {
    proxy.block()
    const cut = await open(wsUrl(node, "redis-away"))
    expect(await cut.closed).toBe(1013)
    expect(cut.types).not.toContain("connection_established")

    proxy.unblock()
    await untilReady(node)
    const again = await TestClient.connect(wsUrl(node, "redis-away"))
    expect((await again.request("ping", "p1")).type).toBe("pong")
    const second = await TestClient.connect(wsUrl(node, "redis-away"))
    expect(second.greeting.payload["epoch"]).toBe(again.greeting.payload["epoch"])
    await again.close()
    await second.close()
  }, 30_000)
})

describe("cluster mode: a connect still waiting for its session when the node drains", () => {
  let node: ServiceProcess
  let proxy: RedisProxy
  let stopNode: (() => Promise<void>) | undefined
  beforeAll(async () => {
    ;({ services: [node], proxy, stop: stopNode } = await servicesBehindProxy([
      (redis) => startNode(redis, { REDIS_COMMAND_TIMEOUT_MS: "10000", DRAIN_TIMEOUT_MS: "10000" })
    ]))
  }, 60_000)
  afterEach(() => proxy.delay(0))
  afterAll(() => stopNode?.())

  it("is closed 1012, never greeted", async () => {
    // every Redis reply late: the session's subscription is still on its way when the signal comes
    proxy.delay(1_500)
    const waiting = await open(wsUrl(node, "late-session"))
    node.child.kill("SIGTERM")
    expect(await waiting.closed).toBe(1012)
    expect(waiting.types).not.toContain("connection_established")
    proxy.delay(0)
    expect(await node.exited).toBe(0)
  }, 30_000)
})
