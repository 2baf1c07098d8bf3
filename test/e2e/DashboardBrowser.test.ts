import { tmpdir } from "node:os"
import { mkdirSync } from "node:fs"
import { type Browser, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TestClient } from "../support/TestClient.js"
import { startServer, type TestServer, token } from "../support/TestServer.js"

/** Debian's Chromium (`.ci/run` installs it); no browser download. */
const CHROMIUM = "/usr/bin/chromium"

/**
 * Where the screenshot goes: the README's copy only when asked
 * (`UPDATE_SCREENSHOT=1 npx vitest run test/e2e/DashboardBrowser.test.ts`),
 * so that running the tests does not change a tracked file.
 */
const SCREENSHOT = process.env["UPDATE_SCREENSHOT"] === "1"
  ? new URL("../../docs/dashboard.png", import.meta.url)
  : new URL(`file://${tmpdir()}/switchyard-dashboard.png`)

/** Headless Chromium that stays off the network (no updates, no sync, no QUIC probes). */
const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync"
    ]
  })

const numberIn = (page: Page, testId: string): Promise<number> =>
  page.getByTestId(testId).textContent().then((text) => Number((text ?? "").replace(/,/g, "")))

/**
 * The page's width and every visible element that reaches past the viewport's
 * right edge (or left of 0): what would make a reader scroll sideways.
 */
const sideways = (page: Page) =>
  page.evaluate(() => {
    const width = document.documentElement.clientWidth
    const outside: Array<string> = []
    for (const element of Array.from(document.body.querySelectorAll("*"))) {
      const box = element.getBoundingClientRect()
      if (box.width === 0 && box.height === 0) continue
      if (box.right > width + 0.5 || box.left < -0.5) {
        outside.push(`${element.tagName.toLowerCase()}${element.id ? "#" + element.id : ""}.${element.className} ${Math.round(box.left)}..${Math.round(box.right)}`)
      }
    }
    return { scrollWidth: document.documentElement.scrollWidth, outside }
  })

describe("the dashboard in a real Chromium", () => {
  let server: TestServer
  let browser: Browser
  beforeAll(async () => {
    // development mode (no JWT_SECRET): the chat panel gets its token from the service
    server = await startServer({ settings: { jwtSecret: undefined, agentStepMs: 15 } })
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it("shows the service live, moves with traffic, and chats with the agent", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1050 } })
    const problems: Array<string> = []
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`))
    page.on("console", (message) => {
      // a 401/404 of the admin API is an answer the page shows ("admin token needed", "no migrating types")
      if (message.type() === "error" && !message.location().url.includes("/admin/migrations")) {
        problems.push(`console: ${message.text()} (${message.location().url})`)
      }
    })
    await page.goto(server.url("/"))
    await page.getByTestId("live-status").filter({ hasText: "live" }).waitFor({ timeout: 15_000 })
    expect(await page.getByTestId("migrations-status").textContent()).toBe("admin token needed")
    const framesBefore = await numberIn(page, "frames-total")

    // traffic from two users: pings, runs, quality questions, and a few bad frames
    const alice = await TestClient.connect(server.wsUrl(await devToken(server, "alice")))
    const bob = await TestClient.connect(server.wsUrl(await devToken(server, "bob")))
    for (let i = 0; i < 30; i++) await alice.request("ping", `p${i}`)
    const runs = await Promise.all([
      alice.request("user_message", "m1", { text: "what is 12 * 12" }),
      bob.request("user_message", "m2", { text: "what time is it in UTC?" }),
      bob.request("start_agent", "m3", { text: "hi", params: { fail_with: "MODEL_DOWN" } })
    ])
    await alice.request("quality_metrics", "q1", {})
    await bob.request("quality_validation", "q2", { content: "fine answer" })
    await bob.request("teleport", "bad1")
    await Promise.all(runs.map((ack, i) => (i === 0 ? alice : bob).completed(ack.payload["result"].run_id as string)))

    // the numbers move: frames counted, both users and connections seen, per-type rows
    await page.waitForFunction(
      (before) => Number(document.querySelector("[data-testid=frames-total]")?.textContent) >= before + 36,
      framesBefore,
      { timeout: 15_000 }
    )
    expect(await numberIn(page, "connections")).toBeGreaterThanOrEqual(2)
    expect(await numberIn(page, "users")).toBeGreaterThanOrEqual(2)
    // the cluster panel: one node alone, in memory, with its own connections
    expect(await page.getByTestId("backplane").textContent()).toBe("memory · this node alone")
    const self = page.locator("#nodes-body tr.self")
    expect(await self.count()).toBe(1)
    expect(Number(await self.locator("td").nth(1).textContent())).toBeGreaterThanOrEqual(2)
    await page.locator("#types-body tr[data-type=ping]").waitFor({ timeout: 15_000 })
    await page.locator("#types-body tr[data-type=unknown]").waitFor({ timeout: 15_000 })
    await page.waitForFunction(() => Number(document.querySelector("[data-testid=runs-completed]")?.textContent) >= 2, null, {
      timeout: 15_000
    })
    // sparklines are drawn once there are two samples
    await page.locator("#s-fps path.line").waitFor({ timeout: 15_000 })

    // the chat panel: the golden path with a development token
    await page.getByTestId("chat-input").fill("what is 17 * 23")
    await page.getByTestId("chat-send").click()
    await page.getByTestId("chat-answer").filter({ hasText: "391" }).waitFor({ timeout: 15_000 })
    expect(await page.getByTestId("chat-answer").last().textContent()).toBe("17 * 23 = 391")
    await page.getByTestId("chat-log").getByText("completed").waitFor({ timeout: 15_000 })

    // migrations: a development admin token; the page reports what the admin API says
    await page.locator("#admin-dev").click()
    await page.waitForFunction(
      () => !/admin token needed/.test(document.querySelector("[data-testid=migrations-status]")?.textContent ?? ""),
      null,
      { timeout: 15_000 }
    )
    expect(await page.getByTestId("migrations-status").textContent()).toMatch(/no migrating types|migrating type/)

    // charts of at least six samples, then the README's picture
    await page.waitForFunction(
      () => (document.querySelector("#s-fps path.line")?.getAttribute("d") ?? "").split("L").length >= 6,
      null,
      { timeout: 15_000 }
    )
    mkdirSync(new URL("./", SCREENSHOT), { recursive: true })
    await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true })
    expect(await sideways(page)).toEqual({ scrollWidth: 1400, outside: [] })

    expect(problems).toEqual([])
    await Promise.all([alice.close(), bob.close()])
  }, 90_000)

  it("chats as the pasted token's user; a refused token stops the chat's client until the next message", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1050 } })
    const problems: Array<string> = []
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`))
    await page.goto(server.url("/"))
    await page.getByTestId("live-status").filter({ hasText: "live" }).waitFor({ timeout: 15_000 })
    const log = page.getByTestId("chat-log")

    // a token the service did not sign: the upgrade's 401 is seen (though the browser's WebSocket
    // hides it) and the panel says so instead of reconnecting over and over
    await page.locator("#chat-token").fill(token("mallory", { secret: "not-the-development-secret" }))
    await page.getByTestId("chat-input").fill("hello?")
    await page.getByTestId("chat-send").click()
    await log.getByText("the server refused the token (HTTP 401)").waitFor({ timeout: 15_000 })
    await log.locator(".status").filter({ hasText: "not sent: Unauthorized" }).waitFor({ timeout: 15_000 })

    // the next message starts a client again, with the token pasted meanwhile
    await page.locator("#chat-token").fill(await devToken(server, "carol"))
    await page.getByTestId("chat-input").fill("what is 6 * 7")
    await page.getByTestId("chat-send").click()
    await log.getByText("connected as carol").waitFor({ timeout: 15_000 })
    await page.getByTestId("chat-answer").filter({ hasText: "42" }).waitFor({ timeout: 15_000 })
    expect(await page.getByTestId("chat-answer").last().textContent()).toBe("6 * 7 = 42")
    expect(await log.getByText("the server refused the token").count()).toBe(1)
    expect(problems).toEqual([])
    await page.close()
  }, 60_000)
})

/** A development token from the service itself, as the page gets one. */
const devToken = async (server: TestServer, user: string): Promise<string> => {
  const response = await fetch(server.url(`/dev/token?user=${user}`), { method: "POST" })
  expect(response.status).toBe(200)
  return ((await response.json()) as { token: string }).token
}

// the shape GET /admin/migrations answers (PROTOCOL §8); served by the browser, so this
// test pins the page to the contract whatever the admin API's state of the day
const entry = (stage: string, legacyCount: number, nextCount: number, extra: object = {}) => ({
  stage,
  canary_percent: stage === "canary" ? 25 : 0,
  breaker: stage === "next_primary" ? "open" : "closed",
  stats: {
    legacy: { count: legacyCount, errors: 1, p50_ms: 3, p95_ms: 9 },
    next: { count: nextCount, errors: nextCount > 0 ? 5 : 0, p50_ms: 2, p95_ms: 30 },
    fallbacks: 4,
    shadow_mismatches: 2
  },
  ...extra
})

describe("the dashboard's migration panel against the PROTOCOL §8 contract", () => {
  let server: TestServer
  let browser: Browser
  beforeAll(async () => {
    server = await startServer({ settings: { jwtSecret: undefined } })
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it("shows stage, breaker, split, error rates and rollbacks, and PUTs a stage change with the admin token", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
    const puts: Array<{ url: string; auth: string | undefined; body: unknown }> = []
    let types: Record<string, unknown> = {
      user_message: entry("canary", 300, 100),
      quality_report: entry("legacy_only", 50, 0, {
        rollback: { at: "2026-11-23T10:00:00.000Z", reason: "next error rate 12% exceeds legacy 2% by more than 5 points" }
      })
    }
    await page.route("**/admin/migrations**", async (route) => {
      const request = route.request()
      const auth = request.headers()["authorization"]
      if (auth === undefined || auth === "Bearer ") return route.fulfill({ status: 401, body: "{}" })
      if (request.method() === "PUT") {
        const body = request.postDataJSON() as { stage: string }
        puts.push({ url: request.url(), auth, body })
        types = { ...types, user_message: entry(body.stage, 300, 100) }
        return route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(types["user_message"]) })
      }
      return route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ types }) })
    })
    await page.goto(server.url("/"))
    await page.getByTestId("live-status").filter({ hasText: "live" }).waitFor({ timeout: 15_000 })
    await page.locator("#admin-token").fill("admin-token-123")
    await page.locator("#admin-save").click()

    const row = page.locator("#migrations-body tr[data-type=user_message]")
    await row.waitFor({ timeout: 15_000 })
    expect(await row.locator("select").inputValue()).toBe("canary")
    expect(await row.locator("input.pct").inputValue()).toBe("25")
    expect(await row.locator(".badge").textContent()).toBe("closed")
    expect(await row.textContent()).toContain("25% next")
    // errors side by side: legacy 1/300, next 5/100
    expect(await row.locator("td").nth(4).textContent()).toBe("0.3% / 5%")
    expect(await page.locator("#rollbacks").textContent()).toContain("quality_report")
    expect(await page.locator("#rollbacks").textContent()).toContain("exceeds legacy")

    await row.locator("select").selectOption("next_primary")
    await row.getByRole("button", { name: "Apply" }).click()
    await page.getByTestId("migrations-action").filter({ hasText: "user_message is now next_primary" }).waitFor({
      timeout: 15_000
    })
    expect(puts).toEqual([{
      url: server.url("/admin/migrations/user_message"),
      auth: "Bearer admin-token-123",
      body: { stage: "next_primary" }
    }])
    await row.locator(".badge.open").waitFor({ timeout: 15_000 })

    // a refused token says so
    await page.locator("#admin-token").fill("")
    await page.locator("#admin-save").click()
    await page.getByTestId("migrations-status").filter({ hasText: "admin token needed" }).waitFor({ timeout: 15_000 })
    expect(await page.locator("#migrations-table").isHidden()).toBe(true)
  }, 90_000)
})

describe("the dashboard on a phone", () => {
  let server: TestServer
  let browser: Browser
  beforeAll(async () => {
    server = await startServer({ settings: { jwtSecret: undefined, agentStepMs: 5 } })
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it("fits a 390 px wide screen with every panel filled: no sideways scrolling", async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
    const problems: Array<string> = []
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`))
    // the migration panel with two types, one rolled back (the widest the panel gets)
    await page.route("**/admin/migrations**", (route) =>
      route.fulfill({
        status: 200,
        contentType: "application/json",
        body: JSON.stringify({
          types: {
            user_message: entry("canary", 300, 100),
            quality_validation: entry("next_primary", 50, 2000, {
              rollback: { at: "2026-11-23T10:00:00.000Z", reason: "next error rate 12% exceeds legacy 2% by more than 5 points" }
            })
          }
        })
      }))
    await page.goto(server.url("/"))
    await page.getByTestId("live-status").filter({ hasText: "live" }).waitFor({ timeout: 15_000 })

    // the per-type table with its longest names and numbers
    const client = await TestClient.connect(server.wsUrl(await devToken(server, "phone-user")))
    for (let i = 0; i < 5; i++) await client.request("ping", `p${i}`)
    await client.request("quality_validation", "q1", { content: "fine answer" })
    await client.request("quality_metrics", "q2", {})
    await client.request("teleport", "bad1")
    const ack = await client.request("user_message", "m1", { text: "what time is it in UTC?" })
    await client.completed(ack.payload["result"].run_id as string)
    await page.locator("#types-body tr[data-type=quality_validation]").waitFor({ timeout: 15_000 })
    await page.locator("#types-body tr[data-type=unknown]").waitFor({ timeout: 15_000 })

    // the chat, with a tool call's JSON in it
    await page.getByTestId("chat-input").fill("what is 1234567 * 7654321")
    await page.getByTestId("chat-send").click()
    await page.getByTestId("chat-log").getByText("completed").waitFor({ timeout: 15_000 })

    await page.locator("#admin-token").fill("admin-token-123")
    await page.locator("#admin-save").click()
    await page.locator("#migrations-body tr[data-type=quality_validation]").waitFor({ timeout: 15_000 })
    await page.locator("#rollbacks").getByText("exceeds legacy").waitFor({ timeout: 15_000 })
    // the cluster panel: this node
    await page.locator("#nodes-body tr.self").waitFor({ timeout: 15_000 })

    expect(await sideways(page)).toEqual({ scrollWidth: 390, outside: [] })
    // still usable: the stage control of a type is on screen, labelled
    const stage = page.locator("#migrations-body tr[data-type=user_message] select")
    expect(await stage.inputValue()).toBe("canary")
    expect(await stage.isVisible()).toBe(true)
    await page.screenshot({ path: `${tmpdir()}/switchyard-dashboard-phone.png`, fullPage: true })
    expect(problems).toEqual([])
    await client.close()
  }, 90_000)
})

describe("the dashboard's cluster panel", () => {
  let server: TestServer
  let browser: Browser
  beforeAll(async () => {
    server = await startServer()
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it("shows this node, the Redis backplane's state and every node's counts from the feed's cluster sample", async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } })
    // a real sample of this service, as a node of a three-node cluster whose Redis is reconnecting (so events
    // and a run's end wait for it)
    const snapshot = (await (await fetch(server.url("/dashboard/snapshot"))).json()) as { sample: Record<string, unknown> }
    const cluster = {
      node_id: "node-b",
      backplane: {
        mode: "redis",
        connected: false,
        status: "reconnecting",
        reconnects: 1,
        lag_ms: null,
        publishes_queued: 1200,
        run_ends_owed: 1
      },
      nodes: [
        { node_id: "node-b", connections: 3, users: 2, self: true },
        { node_id: "node-a", connections: 12, users: 9, self: false },
        { node_id: "node-c", connections: 0, users: 0, self: false }
      ],
      nodes_total: 3,
      connections_total: 15
    }
    const hello = { version: "test", node_id: "node-b", dev_tokens: false, sample_interval_ms: 1000, window_s: 60, history: [] }
    await page.route("**/dashboard/events", (route) =>
      route.fulfill({
        status: 200,
        contentType: "text/event-stream",
        body: `event: hello\ndata: ${JSON.stringify(hello)}\n\nevent: sample\ndata: ${
          JSON.stringify({ ...snapshot.sample, cluster })
        }\n\n`
      }))
    await page.goto(server.url("/"))
    await page.locator("#nodes-body tr[data-node=node-c]").waitFor({ timeout: 15_000 })
    expect(await page.getByTestId("backplane").textContent()).toBe("redis · reconnecting")
    expect(await page.getByTestId("backplane").getAttribute("class")).toContain("down")
    expect(await page.getByTestId("backplane-detail").textContent()).toBe("lag – · 1 reconnect · 1,200 events queued · 1 run end owed")
    const rows = await page.locator("#nodes-body tr").evaluateAll((trs) =>
      trs.map((tr) => [tr.className, ...Array.from(tr.querySelectorAll("td")).slice(0, 3).map((td) => td.textContent)])
    )
    expect(rows).toEqual([["self", "node-b", "3", "2"], ["", "node-a", "12", "9"], ["", "node-c", "0", "0"]])
    expect(await page.locator("#nodes-more").textContent()).toBe("15 connections on 3 nodes")
    expect((await sideways(page)).outside).toEqual([])
  }, 60_000)
})
