import { createServer } from "node:net"
import { describe, expect, it } from "vitest"
import { startServiceWith } from "../support/ServiceProcess.js"
import { TestClient } from "../support/TestClient.js"
import { TEST_SECRET, token } from "../support/TestServer.js"

/** Is the process with this pid still there? */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Can this port be listened on again (no server left holding it)? */
const portFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const probe = createServer()
    probe.once("error", () => resolve(false))
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)))
  })

// what a supervisor runs (systemd, a container's CMD, a process manager), and what it signals
describe.each([
  { name: "npm start", command: "npm", args: ["start"] },
  { name: "node scripts/start.mjs", command: process.execPath, args: ["scripts/start.mjs"] }
])("the start command `$name` under a supervisor", ({ args, command }) => {
  it("drains on a SIGTERM sent to the started process: 1012, exit 0, no server left behind", async () => {
    // NODE_ID unset: the greeting's node_id names the server's own pid, even when npm started it
    const { NODE_ID: _nodeId, ...env } = process.env
    const service = await startServiceWith(command, args, {
      ...(env as Record<string, string>),
      JWT_SECRET: TEST_SECRET,
      DRAIN_TIMEOUT_MS: "5000"
    })
    const client = await TestClient.connect(`ws://127.0.0.1:${service.port}/ws?access_token=${token("supervised")}`)
    const serverPid = Number(/^node-(\d+)$/.exec(client.greeting.payload["server"].node_id as string)?.[1])
    expect(serverPid).toBeGreaterThan(0)
    try {
      service.child.kill("SIGTERM")
      expect(await service.exited).toBe(0)
      // the server itself has gone: it was not orphaned by the process the signal went to
      expect(alive(serverPid)).toBe(false)
      expect(await portFree(service.port)).toBe(true)
      expect((await client.closed).code).toBe(1012)
    } finally {
      // without the fix, the orphan would outlive the test
      if (alive(serverPid)) process.kill(serverPid, "SIGKILL")
    }
  }, 60_000)
})

describe("the service run from its compiled build (`npm start`)", () => {
  it("bundles the dashboard's chat script from dist/ (no TypeScript sources needed)", async () => {
    const service = await startServiceWith(process.execPath, ["scripts/start.mjs"], {
      ...(process.env as Record<string, string>),
      JWT_SECRET: TEST_SECRET
    })
    try {
      const response = await fetch(`http://127.0.0.1:${service.port}/dashboard/chat.js`)
      expect(response.status).toBe(200)
      expect(response.headers.get("content-type")).toMatch(/^text\/javascript/)
      // the client's code is in it: its WebSocket endpoint and its protocol's message types
      expect(await response.text()).toContain("user_message")
    } finally {
      service.child.kill("SIGTERM")
      expect(await service.exited).toBe(0)
    }
  }, 60_000)
})
