import { spawn } from "node:child_process"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startServer, type TestServer, token } from "../support/TestServer.js"

const root = path.resolve(__dirname, "../..")

/** `npm run chat -- <text>` (scripts/chat.ts), with `env`. */
const chat = (text: string, env: Record<string, string>) =>
  new Promise<{ readonly code: number | null; readonly out: string; readonly err: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/chat.ts", text], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    let err = ""
    child.stdout.on("data", (chunk) => (out += chunk))
    child.stderr.on("data", (chunk) => (err += chunk))
    child.once("exit", (code) => resolve({ code, out, err }))
  })

describe("npm run chat (the client's first user)", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ settings: { agentStepMs: 2 } })
  })
  afterAll(() => server.close())

  it("prints the ack, then the run's events in seq order up to agent_completed, and exits 0", async () => {
    const { code, err, out } = await chat("what is 17 * 23", { URL: `ws://127.0.0.1:${server.port}/ws`, TOKEN: server.token("chatter") })
    expect(code).toBe(0)
    expect(err).toMatch(/^connecting to 127\.0\.0\.1:\d+\nconnected as chatter \(connection c-/)
    const frames = out.trim().split("\n").map((line) => JSON.parse(line))
    const runId = frames[0].result.run_id
    expect(frames[0]).toEqual({ type: "ack", result: { run_id: expect.any(String) } })
    expect(frames.slice(1).map((frame) => frame.seq)).toEqual(frames.slice(1).map((_: unknown, i: number) => i + 1))
    expect(frames.slice(1).every((frame) => frame.run_id === runId)).toBe(true)
    expect(frames.at(-1)).toMatchObject({ type: "agent_completed", payload: { response: { text: "17 * 23 = 391" } } })
  }, 60_000)

  it("says why it cannot chat, without the token, and exits 1", async () => {
    const forged = token("chatter", { secret: "not-the-server-secret" })
    const { code, err, out } = await chat("hi", { URL: `ws://127.0.0.1:${server.port}/ws`, TOKEN: forged })
    expect(code).toBe(1)
    expect(out).toBe("")
    expect(err).toContain("cannot chat with 127.0.0.1")
    expect(err).toContain("Unauthorized")
    expect(err).not.toContain(forged)
  }, 60_000)
})
