import { Layer, Logger, LogLevel } from "effect"
import { networkInterfaces } from "node:os"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Jwt from "../../src/transport/Jwt.js"
import { startServer, type TestServer } from "../support/TestServer.js"

/**
 * PROTOCOL §1: `POST /dev/token` exists in development mode only, and only
 * for clients on loopback; `404` to anyone else, judged on the socket's
 * remote address, never on a header. A request from another machine is made
 * here from this machine's own non-loopback address, with the service bound
 * to every interface as a development server is by default.
 */

/** An address of this machine that is not loopback (the test needs one, as every networked host has). */
const externalAddress = (family: "IPv4" | "IPv6"): string | undefined =>
  Object.values(networkInterfaces()).flat().find((i) =>
    i !== undefined && !i.internal && i.family === family && !i.address.startsWith("fe80")
  )?.address

const mint = async (host: string, port: number, headers: Record<string, string> = {}) => {
  const response = await fetch(`http://${host}:${port}/dev/token?user=dev-ops&admin=1`, { method: "POST", headers })
  return { status: response.status, body: await response.text() }
}

const rolesOf = (body: string): ReadonlyArray<string> | undefined => {
  const claims = Jwt.verify((JSON.parse(body) as { token: string }).token, Jwt.DEVELOPMENT_SECRET, Date.now() / 1000)
  return claims._tag === "Right" ? claims.right.roles : undefined
}

// 0.0.0.0: IPv4 peers as they are; "::": a dual-stack socket, where IPv4 peers arrive mapped (::ffff:127.0.0.1)
describe.each(["0.0.0.0", "::"])("POST /dev/token on a development server bound to %s", (bind) => {
  const warnings: Array<string> = []
  const capture = Logger.make<unknown, void>(({ logLevel, message }) => {
    if (logLevel === LogLevel.Warning) warnings.push(String(Array.isArray(message) ? message[0] : message))
  })
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({
      settings: { jwtSecret: undefined, host: bind },
      logs: Layer.merge(Logger.replace(Logger.defaultLogger, capture), Logger.minimumLogLevel(LogLevel.Warning))
    })
  })
  afterAll(() => server.close())

  it("answers a client on loopback with an admin token, whatever X-Forwarded-For claims", async () => {
    const local = await mint("127.0.0.1", server.port)
    expect(local.status).toBe(200)
    expect(rolesOf(local.body)).toEqual(["admin"])
    const forwarded = await mint("127.0.0.1", server.port, { "X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9" })
    expect(forwarded.status).toBe(200)
    if (bind === "::") expect((await mint("[::1]", server.port)).status).toBe(200)
  })

  it("is 404 to a client from another address, also when its headers claim loopback; no token in the answer", async () => {
    const external = externalAddress("IPv4")
    expect(external, "this test needs a non-loopback IPv4 interface").toBeDefined()
    for (
      const headers of [{}, { "X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1", Forwarded: "for=127.0.0.1" }]
    ) {
      const answer = await mint(external!, server.port, headers)
      expect(answer.status).toBe(404)
      expect(answer.body).not.toContain("eyJ")
      expect(JSON.parse(answer.body)).toEqual({ error: expect.stringContaining("127.0.0.0/8") })
    }
    // the rest of the service is reachable from there: only the token mint is closed, and the dashboard offers none
    expect((await fetch(`http://${external!}:${server.port}/health`)).status).toBe(200)
    const remote = (await (await fetch(`http://${external!}:${server.port}/dashboard/snapshot`)).json()) as { dev_tokens: boolean }
    expect(remote.dev_tokens).toBe(false)
    const local = (await (await fetch(`http://127.0.0.1:${server.port}/dashboard/snapshot`)).json()) as { dev_tokens: boolean }
    expect(local.dev_tokens).toBe(true)
  })

  it("says in its startup warning where tokens are handed out, and that the bind reaches the network", () => {
    const warning = warnings.find((line) => line.includes("DEVELOPMENT MODE"))
    expect(warning).toContain("/dev/token")
    expect(warning).toContain("127.0.0.0/8, ::1")
    expect(warning).toContain(`${bind}:0`)
    expect(warning).toContain("REACHABLE FROM OTHER MACHINES")
  })
})
