import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startServer, type TestServer } from "../support/TestServer.js"

const root = path.resolve(__dirname, "../..")

/** The first ```ts block after `heading` in README.md. */
const readmeBlock = (heading: string): string => {
  const readme = fs.readFileSync(path.join(root, "README.md"), "utf8")
  const at = readme.indexOf(heading)
  expect(at, heading).toBeGreaterThan(-1)
  const start = readme.indexOf("```ts\n", at) + "```ts\n".length
  return readme.slice(start, readme.indexOf("```", start))
}

const example = (file: string) => fs.readFileSync(path.join(root, "test/client/readme", file), "utf8")

describe("README's client examples", () => {
  it("are test/client/readme/*.ts, word for word (the package imports itself by name)", () => {
    expect(readmeBlock("### From Node")).toBe(example("node-chat.ts"))
    expect(readmeBlock("### In a browser")).toBe(example("browser-chat.ts"))
  })

  describe("the Node example, run as a program", () => {
    let server: TestServer
    beforeAll(async () => {
      server = await startServer({ settings: { agentStepMs: 2 } })
    })
    afterAll(() => server.close())

    it("prints the run's events up to agent_completed, and exits", async () => {
      const child = spawn(process.execPath, ["--import", "tsx", "test/client/readme/node-chat.ts"], {
        cwd: root,
        env: { ...process.env, URL: `ws://127.0.0.1:${server.port}/ws`, TOKEN: server.token("readme") },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let out = ""
      let err = ""
      child.stdout.on("data", (chunk) => (out += chunk))
      child.stderr.on("data", (chunk) => (err += chunk))
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve))
      expect(err).toBe("")
      expect(code).toBe(0)
      expect(out).toBe(`[calculator] {"expression":"17 * 23","value":391}\n17 * 23 = 391\n(completed)\n`)
    }, 60_000)
  })
})
