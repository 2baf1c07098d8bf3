import WebSocket from "ws"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { deletePrefix, redisUrl, uniquePrefix } from "../support/RedisServer.js"
import { type ServiceProcess, startService } from "../support/ServiceProcess.js"
import type { Frame } from "../support/TestClient.js"
import { TEST_SECRET, token } from "../support/TestServer.js"

/** Opens a socket, sends `frames` the moment it opens (before any greeting), and collects what comes back. */
const sendOnOpen = (url: string, frames: ReadonlyArray<object>, until: (got: Array<Frame>) => boolean) =>
  new Promise<Array<Frame>>((resolve, reject) => {
    const ws = new WebSocket(url)
    const got: Array<Frame> = []
    const timer = setTimeout(() => {
      ws.terminate()
      reject(new Error(`no answer in time; got ${JSON.stringify(got.map((frame) => frame.type))}`))
    }, 5_000)
    ws.on("open", () => {
      for (const frame of frames) ws.send(JSON.stringify(frame))
    })
    ws.on("message", (data) => {
      got.push(JSON.parse(String(data)) as Frame)
      if (until(got)) {
        clearTimeout(timer)
        ws.close()
        resolve(got)
      }
    })
    ws.on("error", reject)
  })

describe("frames sent the moment a socket opens, with a shared store (REDIS_URL)", () => {
  const prefix = uniquePrefix()
  let node: ServiceProcess
  beforeAll(async () => {
    node = await startService({ JWT_SECRET: TEST_SECRET, REDIS_URL: redisUrl(), REDIS_PREFIX: prefix })
  }, 60_000)
  afterAll(async () => {
    node?.child.kill("SIGKILL")
    await deletePrefix(redisUrl(), prefix)
  })

  it("are answered, after the greeting, while the user's session is still being opened in Redis", async () => {
    // a new user each time: its session (and stream subscription) is made while the frames arrive
    for (let i = 0; i < 5; i++) {
      const got = await sendOnOpen(
        `ws://127.0.0.1:${node.port}/ws?access_token=${token(`early-${i}`)}`,
        [{ type: "ping", id: "p1" }, { type: "typing", id: "t1", payload: { is_typing: true } }],
        (frames) => frames.some((frame) => frame.id === "t1")
      )
      expect(got.map((frame) => frame.type)).toEqual(["connection_established", "pong", "ack"])
    }
  })
})
