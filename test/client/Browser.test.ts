import * as esbuild from "esbuild"
import { type Browser, chromium } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { GoldenPathResult } from "./browser/entry.js"
import { browserBundleOptions } from "../../src/http/DashboardScript.js"
import { DEVELOPMENT_SECRET } from "../../src/transport/Jwt.js"
import { startServer, type TestServer, token } from "../support/TestServer.js"

/** Debian's Chromium (`.ci/run` installs it); no browser download. */
const CHROMIUM = "/usr/bin/chromium"

declare const goldenPath: (url: string, token: string) => Promise<GoldenPathResult>
declare const refused: (url: string, token: string) => Promise<unknown>

/** The client as a browser gets it: one esbuild bundle, nothing of Node in it. */
const bundle = async (entry: string): Promise<string> => {
  const built = await esbuild.build({ ...browserBundleOptions, entryPoints: [new URL(entry, import.meta.url).pathname] })
  return built.outputFiles[0]!.text
}

describe("the client in a real Chromium", () => {
  let server: TestServer
  let browser: Browser
  let script: string
  beforeAll(async () => {
    // development mode (no JWT_SECRET): the README's example gets its token from the service
    server = await startServer({ settings: { agentStepMs: 2, jwtSecret: undefined } })
    script = await bundle("./browser/entry.ts")
    // the test page is served by the test (`page.route`), so Chromium cannot place it in the service's
    // local address space and would block its WebSocket to 127.0.0.1 (Local Network Access): a page
    // the service itself serves has no such problem
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-features=LocalNetworkAccessChecks"]
    })
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  /** A page of the service's origin (served by the test, not the service) with the bundle loaded. */
  const openPage = async (body = `<script>${script.replace(/<\/script/gi, "<\\/script")}</script>`) => {
    const page = await browser.newPage()
    const problems: Array<string> = []
    page.on("pageerror", (error) => problems.push(error.message))
    await page.route(server.url("/client-check"), (route) =>
      route.fulfill({ contentType: "text/html", body: `<!doctype html>${body}` }))
    await page.goto(server.url("/client-check"))
    return { page, problems }
  }

  it("bundles for the browser and runs the golden path on the browser's WebSocket", async () => {
    const { page, problems } = await openPage()
    const wsUrl = `ws://127.0.0.1:${server.port}/ws`
    const result = await page.evaluate(([url, jwt]) => goldenPath(url!, jwt!), [wsUrl, token("browser-user", { secret: DEVELOPMENT_SECRET })])
    expect(result.types[0]).toBe("agent_started")
    expect(result.types).toContain("tool_completed")
    expect(result.types.at(-1)).toBe("agent_completed")
    expect(result.seqs).toEqual(result.seqs.map((_, i) => i + 1))
    expect(result.answer).toEqual({ text: "17 * 23 = 391" })
    expect(problems).toEqual([])
    await page.close()
  }, 60_000)

  it("sees a refused token as Unauthorized and stops, though the browser's WebSocket shows only an error and 1006", async () => {
    const { page, problems } = await openPage()
    const wsUrl = `ws://127.0.0.1:${server.port}/ws`
    const result = await page.evaluate(([url, jwt]) => refused(url!, jwt!), [wsUrl, token("mallory", { secret: "wrong" })])
    expect(result).toMatchObject({
      closed: { _tag: "Closed", disconnect: { reason: "Unauthorized" } },
      failure: { _tag: "ClientStopped" }
    })
    expect(problems).toEqual([])
    await page.close()
  }, 60_000)

  it("runs the README's browser example", async () => {
    const example = (await bundle("./readme/browser-chat.ts")).replace(/<\/script/gi, "<\\/script")
    const { page, problems } = await openPage(`<pre id="log"></pre><script>${example}</script>`)
    await page.locator("#log").filter({ hasText: "agent_completed" }).waitFor({ timeout: 30_000 })
    const lines = ((await page.locator("#log").textContent()) ?? "").trim().split("\n")
    expect(lines.slice(0, 2)).toEqual(["Connecting", "Open"])
    const completed = JSON.parse(lines.at(-1)!)
    expect(completed).toMatchObject({ type: "agent_completed", payload: { response: { text: "17 * 23 = 391" } } })
    expect(problems).toEqual([])
    await page.close()
  }, 60_000)
})
