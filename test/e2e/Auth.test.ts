import { request } from "node:http"
import { connect } from "node:net"
import WebSocket from "ws"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Jwt from "../../src/transport/Jwt.js"
import { TestClient } from "../support/TestClient.js"
import { startServer, TEST_SECRET, type TestServer, token } from "../support/TestServer.js"

/** The status of a plain HTTP GET with `headers` (Node does not take it as an upgrade without `Connection: upgrade`). */
const getStatus = (url: string, headers: Record<string, string>): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.once("error", reject)
    req.end()
  })

/** The HTTP status and body of a refused upgrade attempt, or "open" if a WebSocket opened. */
const upgrade = (url: string, headers: Record<string, string> = {}): Promise<"open" | { status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.once("open", () => (ws.close(), resolve("open")))
    ws.once("unexpected-response", (_req, res) => {
      let body = ""
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk))
      res.once("end", () => resolve({ status: res.statusCode ?? 0, body }))
    })
    ws.once("error", reject)
  })

const upgradeStatus = async (url: string, headers: Record<string, string> = {}): Promise<number | "open"> => {
  const outcome = await upgrade(url, headers)
  return outcome === "open" ? outcome : outcome.status
}

/** The status of an upgrade request to `path`, answered with a response or accepted. */
const upgradeTo = (server: TestServer, path: string, protocol: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = request(server.url(path), { headers: { Connection: "Upgrade", Upgrade: protocol } })
    req.once("response", (res) => (res.resume(), resolve(res.statusCode ?? 0)))
    req.once("upgrade", (res, socket) => (socket.destroy(), resolve(res.statusCode ?? 0)))
    req.once("error", reject)
    req.end()
  })

// `npm start` takes `/ws` upgrades from its Node server; an app serving Switchyard on its own HttpServer, through the route
describe.each([
  { path: "taken from the Node server", embedded: false },
  { path: "through the /ws route of an app's own HttpServer", embedded: true }
])("authentication of the upgrade (PROTOCOL §2), $path", ({ embedded }) => {
  let server: TestServer
  const ws = () => `ws://127.0.0.1:${server.port}/ws`
  beforeAll(async () => {
    server = await startServer({ embedded })
  })
  afterAll(() => server.close())

  it("accepts a token in the Authorization header or the access_token query", async () => {
    expect(await upgradeStatus(ws(), { Authorization: `Bearer ${token("alice")}` })).toBe("open")
    expect(await upgradeStatus(`${ws()}?access_token=${token("alice")}`)).toBe("open")
  })

  it("refuses with 401 and no WebSocket: missing, malformed, expired, badly signed, alg none, no sub, no exp", async () => {
    const none = `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${
      Buffer.from(JSON.stringify({ sub: "eve" })).toString("base64url")
    }.`
    const cases = [
      ws(),
      `${ws()}?access_token=not-a-jwt`,
      // expired beyond the 30 s of clock leeway
      `${ws()}?access_token=${token("alice", { ttlS: -31 })}`,
      `${ws()}?access_token=${token("alice", { secret: "wrong-secret" })}`,
      `${ws()}?access_token=${none}`,
      `${ws()}?access_token=${Jwt.sign({ exp: Math.floor(Date.now() / 1000) + 60 }, TEST_SECRET)}`
    ]
    for (const url of cases) expect(await upgradeStatus(url), url).toBe(401)
    // a token that never expires is refused (PROTOCOL §2: exp is required), in the header as in the query
    const forever = Jwt.sign({ sub: "alice", roles: ["admin"] }, TEST_SECRET)
    expect(await upgrade(`${ws()}?access_token=${forever}`)).toEqual({
      status: 401,
      body: JSON.stringify({ error: "invalid token: MissingExpiry" })
    })
    expect(await upgradeStatus(ws(), { Authorization: `Bearer ${forever}` })).toBe(401)
    expect(await upgrade(ws(), { Authorization: "Bearer nope" })).toEqual({
      status: 401,
      body: JSON.stringify({ error: "invalid token: Malformed" })
    })
  })

  it("closes a connection with 4001 when its token expires, after serving it until then", async () => {
    const client = await TestClient.connect(server.wsUrl(token("short-lived", { ttlS: 2 })))
    expect(await client.request("ping", "p1")).toMatchObject({ type: "pong", id: "p1" })
    const closed = await client.closed
    expect(closed).toEqual({ code: 4001, reason: "token expired" })
  }, 15_000)

  it("takes a token within the 30 s of leeway after its exp, then closes the connection with 4001 at once", async () => {
    const client = await TestClient.connect(server.wsUrl(token("leeway-user", { ttlS: -10 })))
    expect(client.greeting.payload["user_id"]).toBe("leeway-user")
    expect((await client.closed).code).toBe(4001)
  }, 15_000)

  it("takes the user id from the token's sub, never from a frame", async () => {
    const alice = await TestClient.connect(server.wsUrl(token("alice-2")))
    const bob = await TestClient.connect(server.wsUrl(token("bob-2")))
    expect(alice.greeting.payload["user_id"]).toBe("alice-2")
    alice.send({ type: "user_message", id: "f1", user_id: "bob-2", payload: { text: "hi", user_id: "bob-2" } })
    const ack = await alice.reply("f1")
    const runId = ack.payload["result"].run_id as string
    await alice.completed(runId)
    // bob's stream is untouched: a resume from 0 replays nothing
    const resumed = await bob.request("resume", "r", { last_seq: 0 })
    expect(resumed.payload["result"]).toEqual({ replayed: 0, gap: false, epoch: bob.greeting.payload["epoch"] })
    expect(bob.frames.filter((f) => f.run_id !== undefined)).toEqual([])
    // and bob cannot stop alice's run
    const stop = await bob.request("stop_agent", "s", { run_id: runId })
    expect(stop.payload).toMatchObject({ code: "NOT_FOUND" })
    await Promise.all([alice.close(), bob.close()])
  })

  it("answers 426 to a GET that is not an upgrade, even with `Upgrade: websocket` but no `Connection: upgrade`", async () => {
    const url = `http://127.0.0.1:${server.port}/ws?access_token=${token("alice")}`
    const handshake = { "Upgrade": "websocket", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13" }
    expect(await getStatus(url, {})).toBe(426)
    expect(await getStatus(url, handshake)).toBe(426)
  })

  it("answers 426 to an upgrade to another protocol", async () => {
    expect(await upgradeTo(server, `/ws?access_token=${token("alice")}`, "h2c")).toBe(426)
  })

  it("survives clients that reset the connection as their upgrade is refused", async () => {
    const resets = Array.from({ length: 20 }, () =>
      new Promise<void>((resolve) => {
        const socket = connect(server.port, "127.0.0.1", () => {
          socket.write("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
          setImmediate(() => (socket.resetAndDestroy(), resolve()))
        })
        socket.on("error", () => resolve())
      }))
    await Promise.all(resets)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(await upgradeStatus(`${ws()}?access_token=${token("alice")}`)).toBe("open")
  })
})

describe("upgrades the service does not take from its Node server", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(() => server.close())

  it("go on to the routes: an upgrade of another path gets that route's answer", async () => {
    expect(await upgradeTo(server, "/health", "websocket")).toBe(200)
  })
})

// PROTOCOL §2: with ALLOWED_ORIGINS, a browser page of another origin cannot open a WebSocket (cross-site hijacking)
describe.each([
  { path: "taken from the Node server", embedded: false },
  { path: "through the /ws route of an app's own HttpServer", embedded: true }
])("the Origin of an upgrade, $path", ({ embedded }) => {
  let guarded: TestServer
  let open: TestServer
  beforeAll(async () => {
    guarded = await startServer({ embedded, settings: { allowedOrigins: ["https://app.example.com", "http://localhost:3000"] } })
    open = await startServer({ embedded })
  })
  afterAll(() => Promise.all([guarded.close(), open.close()]))

  it("with ALLOWED_ORIGINS, refuses a foreign Origin with 403 {error} even with a valid token", async () => {
    const url = guarded.wsUrl(token("alice"))
    for (const origin of ["https://evil.example.com", "https://app.example.com.evil.com", "null", "http://app.example.com"]) {
      const outcome = await upgrade(url, { Origin: origin })
      expect(outcome, origin).toEqual({ status: 403, body: JSON.stringify({ error: "origin not allowed (ALLOWED_ORIGINS)" }) })
    }
  })

  it("with ALLOWED_ORIGINS, opens for a listed Origin and for an upgrade without Origin (judged by its token alone)", async () => {
    expect(await upgradeStatus(guarded.wsUrl(token("alice")), { Origin: "https://app.example.com" })).toBe("open")
    expect(await upgradeStatus(guarded.wsUrl(token("alice")), { Origin: "http://localhost:3000" })).toBe("open")
    expect(await upgradeStatus(guarded.wsUrl(token("alice")))).toBe("open")
    expect(await upgradeStatus(`ws://127.0.0.1:${guarded.port}/ws`)).toBe(401)
    expect(await upgradeStatus(`ws://127.0.0.1:${guarded.port}/ws`, { Origin: "https://app.example.com" })).toBe(401)
  })

  it("without ALLOWED_ORIGINS, checks no Origin", async () => {
    expect(await upgradeStatus(open.wsUrl(token("alice")), { Origin: "https://evil.example.com" })).toBe("open")
  })
})
