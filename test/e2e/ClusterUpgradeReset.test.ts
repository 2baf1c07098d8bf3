import { connect } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { RedisProxy } from "../support/RedisProxy.js"
import { type ServiceProcess, startService } from "../support/ServiceProcess.js"
import { servicesBehindProxy } from "../support/ServicesBehindProxy.js"
import { TestClient } from "../support/TestClient.js"
import { TEST_SECRET, token } from "../support/TestServer.js"

// PROTOCOL §10, cluster mode: an upgrade is admitted against the user's connections on every node (a Redis
// call) before the handshake. A client that resets its socket during that call must give its slots back,
// or a few resets lock its user out (429) on every node, and many fill MAX_CONNECTIONS for everyone.

describe("an upgrade reset while the cluster counts the user's connections", () => {
  let node: ServiceProcess
  let proxy: RedisProxy
  let stopNode: (() => Promise<void>) | undefined
  beforeAll(async () => {
    ;({ services: [node], proxy, stop: stopNode } = await servicesBehindProxy([
      (redis) =>
        startService({
          JWT_SECRET: TEST_SECRET,
          REDIS_URL: redis.proxy.url,
          REDIS_PREFIX: redis.prefix,
          MAX_CONNECTIONS_PER_USER: "2"
        })
    ]))
  }, 60_000)
  afterAll(() => stopNode?.())

  it("five handshakes reset mid-admission leave the user's two connections free", async () => {
    const user = token("resetter")
    // Redis answers late: every reset lands while the node waits for the count
    proxy.delay(150)
    await Promise.all(Array.from({ length: 5 }, () =>
      new Promise<void>((resolve) => {
        const socket = connect(node.port, "127.0.0.1", () => {
          socket.write(
            `GET /ws?access_token=${user} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
              "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
          )
          setTimeout(() => {
            socket.resetAndDestroy()
            resolve()
          }, 30)
        })
        socket.on("error", () => undefined)
      })))
    // the admissions under way finish (late), then the slots must all be back
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    proxy.delay(0)
    const first = await TestClient.connect(`ws://127.0.0.1:${node.port}/ws?access_token=${user}`)
    const second = await TestClient.connect(`ws://127.0.0.1:${node.port}/ws?access_token=${user}`)
    expect((await first.request("ping", "p1")).type).toBe("pong")
    expect((await second.request("ping", "p2")).type).toBe("pong")
    await first.close()
    await second.close()
  }, 30_000)
})
