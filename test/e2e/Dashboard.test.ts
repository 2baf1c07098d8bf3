import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Jwt from "../../src/transport/Jwt.js"
import { TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"
import { readEvents } from "../support/ServerSentEvents.js"

describe("the dashboard's endpoints", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ settings: { agentStepMs: 1 } })
  })
  afterAll(() => server.close())

  it("GET / serves the page with a strict content security policy", async () => {
    const response = await fetch(server.url("/"))
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toMatch(/^text\/html/)
    const csp = response.headers.get("content-security-policy") ?? ""
    expect(csp).toContain("default-src 'none'")
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+' 'self'/)
    expect(csp).toContain("connect-src 'self'")
    const html = await response.text()
    expect(html).toContain("<title>Switchyard")
    // self-contained: nothing is loaded from another origin
    expect(html).not.toMatch(/(src|href)="https?:/)
    expect(html).toContain('<script src="/dashboard/chat.js" defer></script>')
  })

  it("GET /dashboard/chat.js serves the chat panel's bundle once built, revalidated by its ETag", async () => {
    const response = await fetch(server.url("/dashboard/chat.js"))
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toMatch(/^text\/javascript/)
    expect(response.headers.get("cache-control")).toBe("no-cache")
    expect(response.headers.get("x-content-type-options")).toBe("nosniff")
    const etag = response.headers.get("etag") ?? ""
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/)
    const code = await response.text()
    // one classic script for the page: no module syntax left, nothing of Node
    expect(code).not.toMatch(/^\s*(import|export)\s/m)
    expect(code).not.toMatch(/require\(["']node:/)
    // the same bundle again (kept, not rebuilt), and a 304 to a page that has it
    const again = await fetch(server.url("/dashboard/chat.js"))
    expect(again.headers.get("etag")).toBe(etag)
    expect(await again.text()).toBe(code)
    const current = await fetch(server.url("/dashboard/chat.js"), { headers: { "if-none-match": etag } })
    expect(current.status).toBe(304)
    expect(await current.text()).toBe("")
    // gzipped for a browser that accepts it (fetch does, and unzips), plain otherwise: each its own tag
    expect(response.headers.get("content-encoding")).toBe("gzip")
    expect(response.headers.get("vary")).toBe("accept-encoding")
    const plain = await fetch(server.url("/dashboard/chat.js"), { headers: { "accept-encoding": "identity" } })
    expect(plain.headers.get("content-encoding")).toBeNull()
    expect(plain.headers.get("etag")).not.toBe(etag)
    expect(await plain.text()).toBe(code)
  }, 60_000)

  it("GET /dashboard/events streams a hello with history, then samples whose numbers move with traffic", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("sse-secret-user")))
    const stream = readEvents(server.url("/dashboard/events"), (events) => {
      const last = events.filter((e) => e.event === "sample").at(-1)
      return last !== undefined && last.data.totals.frames >= 5 && last.data.totals.runs_completed >= 1
    })
    for (let i = 0; i < 4; i++) await client.request("ping", `p${i}`)
    const ack = await client.request("user_message", "m", { text: "what is 17 * 23" })
    await client.completed(ack.payload["result"].run_id as string)
    const { events, raw } = await stream
    expect(events[0]).toMatchObject({
      event: "hello",
      data: { dev_tokens: false, sample_interval_ms: 1000, history: expect.any(Array) }
    })
    expect(events[0]!.data.history.length).toBeGreaterThan(0)
    const last = events.filter((e) => e.event === "sample").at(-1)!.data
    expect(last).toMatchObject({ connections: 1, users_connected: 1 })
    // one node alone, in memory: the operator's view is this node with its live counts
    expect(last.cluster).toMatchObject({
      node_id: events[0]!.data.node_id,
      backplane: { mode: "memory", connected: true, reconnects: 0 },
      nodes: [{ node_id: events[0]!.data.node_id, connections: 1, users: 1, self: true }],
      nodes_total: 1
    })
    const ping = last.types.find((t: { type: string }) => t.type === "ping")
    expect(ping).toMatchObject({ count: 4, error_rate: 0 })
    expect(ping.p50_ms).toEqual(expect.any(Number))
    // aggregates only: no user id anywhere in the feed
    expect(raw).not.toContain("sse-secret-user")
    await client.close()
  })

  it("POST /dev/token is 404 when JWT_SECRET is set", async () => {
    const response = await fetch(server.url("/dev/token"), { method: "POST" })
    expect(response.status).toBe(404)
    expect(JSON.stringify(await response.json())).not.toContain("eyJ")
  })
})

describe("development tokens (JWT_SECRET unset, not production)", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ settings: { jwtSecret: undefined } })
  })
  afterAll(() => server.close())

  it("mints a token that opens a WebSocket as that user; admin=1 adds the role; bad ids are 400", async () => {
    const response = await fetch(server.url("/dev/token?user=dev-alice"), { method: "POST" })
    expect(response.status).toBe(200)
    const body = (await response.json()) as { token: string; user_id: string; roles: Array<string> }
    expect(body).toMatchObject({ user_id: "dev-alice", roles: [] })
    const client = await TestClient.connect(server.wsUrl(body.token))
    expect(client.greeting.payload["user_id"]).toBe("dev-alice")
    await client.close()

    const admin = (await (await fetch(server.url("/dev/token?user=ops&admin=1"), { method: "POST" })).json()) as {
      token: string
    }
    const claims = Jwt.verify(admin.token, Jwt.DEVELOPMENT_SECRET, Math.floor(Date.now() / 1000))
    expect(claims._tag === "Right" && claims.right.roles).toEqual(["admin"])

    const fresh = (await (await fetch(server.url("/dev/token"), { method: "POST" })).json()) as { user_id: string }
    expect(fresh.user_id).toMatch(/^dashboard-[0-9a-f]{8}$/)
    expect((await fetch(server.url("/dev/token?user=a%20b"), { method: "POST" })).status).toBe(400)
    // the snapshot tells the page that it may ask for one
    const snapshot = (await (await fetch(server.url("/dashboard/snapshot"))).json()) as { dev_tokens: boolean }
    expect(snapshot.dev_tokens).toBe(true)
  })
})

describe("the dashboard's event stream on shutdown", () => {
  it("ends when the service stops, so a watching dashboard never holds the shutdown", async () => {
    const server = await startServer()
    const response = await fetch(server.url("/dashboard/events"))
    const reader = response.body!.getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toMatch(/event: hello|: keepalive/)
    await server.close()
    // drain what was buffered; the stream then ends instead of hanging
    let done = false
    while (!done) done = (await reader.read().catch(() => ({ done: true }))).done
    expect(done).toBe(true)
  })
})
