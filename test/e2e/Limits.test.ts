import { connect } from "node:net"
import WebSocket from "ws"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Overrides } from "../../src/Config.js"
import { startService } from "../support/ServiceProcess.js"
import { TestClient } from "../support/TestClient.js"
import { startServer, TEST_SECRET, type TestServer, token } from "../support/TestServer.js"

/** What an upgrade attempt came to: a refusal (status, Retry-After, JSON body), or an open WebSocket. */
type Outcome =
  | { readonly status: number; readonly retryAfter: string | undefined; readonly body: unknown }
  | { readonly status: 101; readonly ws: WebSocket }

const attempt = (url: string, options: WebSocket.ClientOptions = {}): Promise<Outcome> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options)
    ws.once("open", () => resolve({ status: 101, ws }))
    ws.once("unexpected-response", (_req, res) => {
      let body = ""
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk))
      res.once("end", () => {
        const retryAfter = res.headers["retry-after"]
        resolve({ status: res.statusCode ?? 0, retryAfter, body: JSON.parse(body) })
      })
    })
    ws.once("error", reject)
  })

/** Opens and closes again: 101, or the refusal's status. */
const statusOf = async (url: string, options: WebSocket.ClientOptions = {}): Promise<number> => {
  const outcome = await attempt(url, options)
  if ("ws" in outcome) outcome.ws.close()
  return outcome.status
}

/** Retries `upgrade` until it opens: a slot frees when the server sees the close, a moment after the client does. */
const eventuallyOpens = async (url: string): Promise<TestClient> => {
  for (let tries = 0; ; tries++) {
    try {
      return await TestClient.connect(url)
    } catch (error) {
      if (tries >= 100) throw error
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
}

/** The value of a sample (`name` with its labels, as exposed) at `/metrics`; 0 when absent. */
const sample = async (server: TestServer, series: string): Promise<number> => {
  const text = await (await fetch(server.url("/metrics"))).text()
  const line = text.split("\n").find((l) => l.startsWith(`${series} `))
  return line === undefined ? 0 : Number(line.slice(series.length + 1))
}
const refusedFull = `switchyard_upgrades_refused_total{reason="process_connections"}`

// a refusal has a status, a whole number of seconds to wait (when named) and a JSON body with an `error` string
const expectRefusal = (outcome: Outcome, status: number, retryAfter: boolean) => {
  expect(outcome.status).toBe(status)
  if ("ws" in outcome) return
  if (retryAfter) expect(outcome.retryAfter).toMatch(/^[1-9]\d*$/)
  expect(outcome.body).toEqual({ error: expect.any(String) })
}

describe.each([
  { path: "taken from the Node server", embedded: false },
  { path: "through the /ws route of an app's own HttpServer", embedded: true }
])("connection limits of the upgrade (PROTOCOL §9, §10), $path", ({ embedded }) => {
  const servers: Array<TestServer> = []
  const start = async (settings: Overrides) => {
    const server = await startServer({ embedded, settings })
    servers.push(server)
    return server
  }
  afterAll(() => Promise.all(servers.map((server) => server.close())))

  describe("MAX_CONNECTIONS_PER_USER", () => {
    let server: TestServer
    beforeAll(async () => {
      server = await start({ maxConnectionsPerUser: 2 })
    })

    it("refuses a user's connection past the limit with 429, Retry-After and {error}; others unaffected; a close frees a slot", async () => {
      const first = await TestClient.connect(server.wsUrl(token("alice")))
      const second = await TestClient.connect(server.wsUrl(token("alice")))
      const third = await attempt(server.wsUrl(token("alice")))
      expectRefusal(third, 429, true)
      // another user connects as usual, and alice's open connections still answer
      const bob = await TestClient.connect(server.wsUrl(token("bob")))
      expect((await first.request("ping", "p1")).type).toBe("pong")
      expect((await second.request("ping", "p2")).type).toBe("pong")
      // refusals took nothing: one close and alice may connect again, once
      await first.close()
      const again = await eventuallyOpens(server.wsUrl(token("alice")))
      expectRefusal(await attempt(server.wsUrl(token("alice"))), 429, true)
      await Promise.all([second.close(), bob.close(), again.close()])
    })

    it("gives the slot of an upgrade that failed during its handshake back", async () => {
      const carol = token("carol")
      // admitted (valid token), then ws rejects the handshake: no Sec-WebSocket-Key
      for (let i = 0; i < 5; i++) {
        await new Promise<void>((resolve) => {
          const socket = connect(server.port, "127.0.0.1", () =>
            socket.write(
              `GET /ws?access_token=${carol} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`
            ))
          socket.on("data", () => {})
          socket.on("close", () => resolve())
          socket.on("error", () => resolve())
        })
      }
      // and clients that reset as soon as they sent the upgrade
      for (let i = 0; i < 5; i++) {
        await new Promise<void>((resolve) => {
          const socket = connect(server.port, "127.0.0.1", () => {
            socket.write(
              `GET /ws?access_token=${carol} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
            setImmediate(() => (socket.resetAndDestroy(), resolve()))
          })
          socket.on("error", () => resolve())
        })
      }
      const a = await eventuallyOpens(server.wsUrl(carol))
      const b = await eventuallyOpens(server.wsUrl(carol))
      expectRefusal(await attempt(server.wsUrl(carol)), 429, true)
      await Promise.all([a.close(), b.close()])
    })
  })

  describe("UPGRADES_PER_MIN_PER_ADDRESS", () => {
    let server: TestServer
    beforeAll(async () => {
      server = await start({ upgradesPerMinPerAddress: 3 })
    })

    it("refuses an address past its upgrades per minute with 429, Retry-After and {error}; other addresses unaffected", async () => {
      const url = (user: string) => server.wsUrl(token(user))
      // a bad token counts too: a flood is turned away before any work on its tokens
      expect(await statusOf(`ws://127.0.0.1:${server.port}/ws?access_token=nope`)).toBe(401)
      expect(await statusOf(url("u1"))).toBe(101)
      expect(await statusOf(url("u2"))).toBe(101)
      const refused = await attempt(url("u3"))
      expectRefusal(refused, 429, true)
      // the limit is per address, not per user: a user's first connection from there is refused too
      expect(await statusOf(url("fresh-user"))).toBe(429)
      // another address (all of 127.0.0.0/8 is loopback) is unaffected
      expect(await statusOf(url("u3"), { localAddress: "127.0.0.2" })).toBe(101)
      expect(await statusOf(url("u4"), { localAddress: "127.0.0.2" })).toBe(101)
    })
  })

  describe("MAX_CONNECTIONS", () => {
    let server: TestServer
    beforeAll(async () => {
      server = await start({ maxConnections: 2 })
    })

    it("answers 503 with {error} at the process's limit; the gauge counts open connections only; a close frees a slot", async () => {
      const a = await TestClient.connect(server.wsUrl(token("pa")))
      const b = await TestClient.connect(server.wsUrl(token("pb")))
      const refusedBefore = await sample(server, refusedFull)
      for (const user of ["pc", "pd", "pa"]) expectRefusal(await attempt(server.wsUrl(token(user))), 503, true)
      expect(await sample(server, "switchyard_connections_open")).toBe(2)
      expect(await sample(server, refusedFull)).toBe(refusedBefore + 3)
      expect((await a.request("ping", "still")).type).toBe("pong")
      await b.close()
      const c = await eventuallyOpens(server.wsUrl(token("pc")))
      expect(await sample(server, "switchyard_connections_open")).toBe(2)
      expectRefusal(await attempt(server.wsUrl(token("pd"))), 503, true)
      await Promise.all([a.close(), c.close()])
    })
  })
})

describe("connection limits from the environment (npm start)", () => {
  it("reads MAX_CONNECTIONS_PER_USER, MAX_CONNECTIONS and UPGRADES_PER_MIN_PER_ADDRESS", async () => {
    const service = await startService({
      JWT_SECRET: TEST_SECRET,
      MAX_CONNECTIONS_PER_USER: "1",
      MAX_CONNECTIONS: "2",
      UPGRADES_PER_MIN_PER_ADDRESS: "4"
    })
    try {
      const url = (user: string) => `ws://127.0.0.1:${service.port}/ws?access_token=${token(user)}`
      const alice = await TestClient.connect(url("alice"))
      expectRefusal(await attempt(url("alice")), 429, true)
      const bob = await TestClient.connect(url("bob"))
      expectRefusal(await attempt(url("carol")), 503, true)
      // the fifth upgrade from this address in a minute
      expectRefusal(await attempt(url("dave")), 429, true)
      await Promise.all([alice.close(), bob.close()])
    } finally {
      service.child.kill("SIGTERM")
      await service.exited
    }
  }, 60_000)
})
