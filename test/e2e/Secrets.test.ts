import { Cause, Effect, HashMap, Layer, Logger, LogLevel, Redacted, Tracer } from "effect"
import WebSocket from "ws"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Jwt from "../../src/transport/Jwt.js"
import { TestClient } from "../support/TestClient.js"
import { startServer, TEST_SECRET, type TestServer, token } from "../support/TestServer.js"

/**
 * PROTOCOL §9: no log line, span, metric, error or dashboard sample ever
 * carries a token (header or `access_token` query) or a secret. The service
 * runs at debug level with every log line and every span attribute captured,
 * through a golden path and failed upgrades, and none of it may contain one.
 */

const OPENAI_KEY = "sk-test-0123456789abcdefghijklmnopqrstuvwxyz"

/** Everything the service logged, as text: messages, annotations, causes. */
const logText: Array<string> = []
const capture = Logger.make<unknown, void>(({ annotations, cause, logLevel, message }) => {
  logText.push(JSON.stringify({
    level: logLevel.label,
    message: Array.isArray(message) ? message.map(String) : String(message),
    annotations: Object.fromEntries(HashMap.toEntries(annotations)),
    cause: Cause.isEmpty(cause) ? undefined : Cause.pretty(cause)
  }))
})

/** Every span's name and attributes, as text: what a tracing exporter would ship. */
const spanText: Array<string> = []
const native = Effect.runSync(Effect.tracer)
const recordingTracer = Tracer.make({
  span(name, parent, context, links, startTime, kind, options) {
    const span = native.span(name, parent, context, links, startTime, kind, options)
    spanText.push(name, JSON.stringify(Object.fromEntries(options?.attributes === undefined ? [] : Object.entries(options.attributes))))
    const attribute = span.attribute.bind(span)
    span.attribute = (key, value) => {
      spanText.push(`${key}=${String(value)}`)
      attribute(key, value)
    }
    return span
  },
  context: (f, fiber) => native.context(f, fiber)
})

/** The body of a refused upgrade. */
const refusal = (url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.once("open", () => (ws.close(), reject(new Error("opened"))))
    ws.once("unexpected-response", (_req, res) => {
      let body = ""
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk))
      res.once("end", () => resolve({ status: res.statusCode ?? 0, body }))
    })
    ws.once("error", reject)
  })

describe("secrets never leave the service (PROTOCOL §9)", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({
      settings: { agentStepMs: 1, openaiApiKey: Redacted.make(OPENAI_KEY) },
      logs: Layer.mergeAll(
        Logger.replace(Logger.defaultLogger, capture),
        Logger.minimumLogLevel(LogLevel.Debug),
        Layer.setTracer(recordingTracer)
      )
    })
  })
  afterAll(() => server.close())

  it("no token or secret in logs, spans, refusals, metrics or the dashboard, through a golden path and failed upgrades", async () => {
    const good = token("secret-keeper")
    const admin = token("ops", { roles: ["admin"] })
    const wrongSecret = token("mallory", { secret: "not-the-secret" })
    const expired = token("late", { ttlS: -3600 })
    const forever = Jwt.sign({ sub: "eternal" }, TEST_SECRET)
    const secrets = [good, admin, wrongSecret, expired, forever, TEST_SECRET, OPENAI_KEY]

    // the golden path, with the token in the query as a browser sends it
    const client = await TestClient.connect(server.wsUrl(good))
    const ack = await client.request("user_message", "m1", { text: "what is 17 * 23" })
    await client.completed(ack.payload["result"].run_id as string)
    await client.request("error", "e1", { message: "client-side failure" })
    client.send("{not json")
    await client.next((frame) => frame.type === "error" && frame.payload["code"] === "INVALID_JSON")
    await client.close()

    // refused upgrades: every kind of bad token, in the query and in the header
    const ws = `ws://127.0.0.1:${server.port}/ws`
    for (const bad of [wrongSecret, expired, forever, `${good}x`]) {
      for (const answer of [await refusal(`${ws}?access_token=${bad}`), await refusal(ws, { Authorization: `Bearer ${bad}` })]) {
        expect(answer.status).toBe(401)
        for (const secret of secrets) expect(answer.body).not.toContain(secret)
      }
    }

    // admin calls with the token in the query; a refused one
    expect((await fetch(server.url(`/admin/migrations?access_token=${admin}`))).status).toBe(200)
    expect((await fetch(server.url("/admin/migrations"), { headers: { Authorization: `Bearer ${admin}` } })).status).toBe(200)
    const refused = await fetch(server.url(`/admin/migrations?access_token=${wrongSecret}`))
    expect(refused.status).toBe(401)
    const refusedBody = await refused.text()

    const metrics = await (await fetch(server.url("/metrics"))).text()
    const snapshot = await (await fetch(server.url("/dashboard/snapshot"))).text()
    await new Promise((resolve) => setTimeout(resolve, 50))

    // what was looked at is really there: the run's lines and the admin route's span
    expect(logText.some((line) => line.includes("agent run ended"))).toBe(true)
    expect(logText.some((line) => line.includes("client reported an error"))).toBe(true)
    expect(spanText.length).toBeGreaterThan(0)
    for (const [what, text] of [
      ["logs", logText.join("\n")],
      ["spans", spanText.join("\n")],
      ["metrics", metrics],
      ["dashboard snapshot", snapshot],
      ["admin refusal", refusedBody]
    ] as const) {
      for (const secret of secrets) {
        const leaks = text.split("\n").filter((line) => line.includes(secret))
        expect(leaks, `${what} carry a secret`).toEqual([])
      }
      expect(text, what).not.toContain("access_token=")
    }
  }, 30_000)
})
