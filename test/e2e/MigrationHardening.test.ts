/**
 * Hardening of handler migration (PROTOCOL §8), over real sockets against the
 * real server and a fake legacy backend over real HTTP: no backend URL,
 * credential or body reaches a client; retries never write twice; a client's
 * bad request counts against neither side.
 */
import { Effect, HashMap, Layer, Logger, LogLevel, Redacted, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { BuiltinHandlers } from "../../src/handlers/index.js"
import * as Handler from "../../src/handlers/Handler.js"
import { type FakeLegacyBackend, startFakeLegacyBackend } from "../support/FakeLegacyBackend.js"
import { TestClient } from "../support/TestClient.js"
import { startServer, type TestServer, token } from "../support/TestServer.js"

const USER = "backenduser"
const PASSWORD = "hunter2pw"
const KEY = "s3cretQueryKey"
const MARKER = "BODY-MARKER-7f3a"

/** `whoami` migrates from the backend to this; `strict` has a payload schema next enforces. */
const whoami = Handler.make("whoami", {
  payload: Schema.Struct({}),
  success: Schema.Struct({ served_by: Schema.String }),
  handle: () => Effect.succeed({ served_by: "next" })
})
const strict = Handler.make("strict", {
  payload: Schema.Struct({ n: Schema.Number }),
  success: Schema.Struct({ n: Schema.Number }),
  handle: ({ n }) => Effect.succeed({ n })
})

/** Every log line, message and annotations, as text. */
const capturingLogs = (lines: Array<string>) =>
  Layer.merge(
    Logger.replace(
      Logger.defaultLogger,
      Logger.make<unknown, void>(({ annotations, message }) => {
        lines.push(JSON.stringify({ message, annotations: Object.fromEntries(HashMap.toEntries(annotations)) }))
      })
    ),
    Logger.minimumLogLevel(LogLevel.Debug)
  )

const adminGet = async (server: TestServer, path: string): Promise<any> => {
  const response = await fetch(server.url(path), {
    headers: { authorization: `Bearer ${token("ops", { roles: ["admin"] })}` }
  })
  return response.json()
}

/** A URL with credentials and a secret query, pointing at `base`'s host and path. */
const secretUrl = (base: string): string => {
  const url = new URL(base)
  return `http://${USER}:${PASSWORD}@${url.host}${url.pathname}?key=${KEY}`
}

/** Nothing secret in `text`; a client does not even learn where the backend is. */
const expectClean = (text: string, backendUrl: string) => {
  for (const secret of [USER, PASSWORD, KEY, MARKER, backendUrl, new URL(backendUrl).host]) {
    expect(text).not.toContain(secret)
  }
}

/** Nothing secret in a log line (the backend's host and path may appear there). */
const expectCleanLog = (line: string, backendUrl: string) => {
  for (const secret of [USER, PASSWORD, KEY, MARKER, backendUrl]) expect(line).not.toContain(secret)
}

describe("migration hardening over real sockets", () => {
  let backend: FakeLegacyBackend
  let server: TestServer
  const logs: Array<string> = []

  beforeAll(async () => {
    backend = await startFakeLegacyBackend()
    server = await startServer({
      settings: {
        agentStepMs: 1,
        legacyBackendUrl: Redacted.make(secretUrl(backend.url)),
        legacyTypes: ["quote", "whoami", "strict"],
        legacyRetries: 2,
        legacyTimeoutMs: 300
      },
      handlers: [...BuiltinHandlers, whoami, strict],
      logs: capturingLogs(logs)
    })
  })
  afterAll(async () => {
    await server.close()
    await backend.close()
  })

  it("a failing legacy backend: the client's error has a code and a safe message, never the URL, credentials or body", async () => {
    const client = await TestClient.connect(server.wsUrl(token("alice")))
    const answers: Array<{ readonly status?: number; readonly body?: unknown } | { readonly hang: true }> = [
      { status: 500, body: { error: `${MARKER} at ${secretUrl(backend.url)}` } },
      { status: 200, body: `${MARKER} is not an object` },
      { status: 200, body: { events: `${MARKER}` } },
      { hang: true }
    ]
    const errors: Array<string> = []
    for (const [i, answer] of answers.entries()) {
      backend.respond = () => answer
      const reply = await client.request("quote", `leak-${i}`, { text: "hi" })
      expect(reply.type).toBe("error")
      expect(["HANDLER_FAILED", "TIMEOUT"]).toContain(reply.payload["code"])
      errors.push(JSON.stringify(reply))
    }
    expect(errors[0]).toContain("HTTP 500")
    for (const error of errors) expectClean(error, secretUrl(backend.url))
    // the details went to the logs, with the URL redacted there too
    const failures = logs.filter((line) => line.includes("legacy backend call failed"))
    expect(failures.length).toBeGreaterThanOrEqual(answers.length)
    for (const line of logs) expectCleanLog(line, secretUrl(backend.url))
    expect(failures.join("\n")).toContain("***")
    await client.close()
  })

  it("an unreachable legacy backend: the transport's error (which quotes the URL) does not reach the client", async () => {
    const lines: Array<string> = []
    const url = `http://${USER}:${PASSWORD}@127.0.0.1:1/legacy?key=${KEY}`
    const unreachable = await startServer({
      settings: { legacyBackendUrl: Redacted.make(url), legacyTypes: ["quote"], legacyRetries: 1 },
      logs: capturingLogs(lines)
    })
    try {
      const client = await TestClient.connect(unreachable.wsUrl(token("alice")))
      const reply = await client.request("quote", "down-1", {})
      expect(reply.payload).toMatchObject({ code: "HANDLER_FAILED" })
      expectClean(JSON.stringify(reply), url)
      for (const line of lines) expectCleanLog(line, url)
      expect(lines.some((line) => line.includes("ECONNREFUSED"))).toBe(true)
      await client.close()
    } finally {
      await unreachable.close()
    }
  })

  it("a frame without an id answered 503 is sent once; one with an id is retried, each attempt with the same Idempotency-Key", async () => {
    const client = await TestClient.connect(server.wsUrl(token("bob")))
    backend.respond = () => ({ status: 503 })
    const before = backend.calls.length
    client.send({ type: "quote", payload: { text: "once" } })
    const error = await client.next((frame) => frame.type === "error" && frame.id === undefined)
    expect(error.payload).toMatchObject({ code: "HANDLER_FAILED" })
    expect(backend.calls.length - before).toBe(1)
    expect(backend.idempotencyKeys.at(-1)).toBeUndefined()

    let n = 0
    backend.respond = () => (++n <= 2 ? { status: 503 } : { status: 200, body: { result: { ok: true } } })
    const start = backend.calls.length
    const ack = await client.request("quote", "write-1", { text: "twice?" })
    expect(ack.payload).toMatchObject({ status: "ok", result: { ok: true } })
    expect(backend.calls.length - start).toBe(3)
    expect(backend.idempotencyKeys.slice(start)).toEqual(["bob:write-1", "bob:write-1", "bob:write-1"])
    await client.close()
  })

  it("payloads the legacy forwarding cannot serialize are the client's INVALID_MESSAGE: no breaker opens, nothing is counted", async () => {
    const client = await TestClient.connect(server.wsUrl(token("carol")))
    backend.respond = () => ({ status: 200, body: { result: { served_by: "legacy" } } })
    // nested deeper than JSON.stringify can go (JSON.parse takes it)
    const deep = `${"[".repeat(20_000)}${"]".repeat(20_000)}`
    const before = backend.calls.length
    for (let i = 0; i < 8; i++) {
      client.send(`{"type":"whoami","id":"deep-${i}","payload":{"deep":${deep}}}`)
      const reply = await client.reply(`deep-${i}`)
      expect(reply.payload).toMatchObject({ code: "INVALID_MESSAGE" })
      expect(JSON.stringify(reply)).not.toMatch(/stack|at .*\.ts/)
    }
    expect(backend.calls.length).toBe(before)
    const entry = (await adminGet(server, "/admin/migrations")).types["whoami"]
    expect(entry).toMatchObject({ stage: "legacy_only", breaker: "closed", stats: { legacy: { errors: 0 } } })
    // the type still serves everyone
    const other = await TestClient.connect(server.wsUrl(token("dave")))
    expect((await other.request("whoami", "fine", {})).payload).toMatchObject({
      status: "ok",
      result: { served_by: "legacy" }
    })
    await other.close()
    await client.close()
  })

  it("under next_primary, payloads failing next's schema are answered INVALID_MESSAGE: no fallback, no breaker, no error counted", async () => {
    const put = await fetch(server.url("/admin/migrations/strict"), {
      method: "PUT",
      headers: { authorization: `Bearer ${token("ops", { roles: ["admin"] })}`, "content-type": "application/json" },
      body: JSON.stringify({ stage: "next_primary" })
    })
    expect(put.status).toBe(200)
    const client = await TestClient.connect(server.wsUrl(token("erin")))
    const before = backend.callsOf("strict").length
    for (let i = 0; i < 8; i++) {
      expect((await client.request("strict", `bad-${i}`, { n: "not a number" })).payload).toMatchObject({
        code: "INVALID_MESSAGE"
      })
    }
    expect(backend.callsOf("strict").length).toBe(before)
    const entry = (await adminGet(server, "/admin/migrations")).types["strict"]
    expect(entry).toMatchObject({
      stage: "next_primary",
      breaker: "closed",
      stats: { next: { errors: 0 }, legacy: { count: 0 }, fallbacks: 0 }
    })
    expect((await client.request("strict", "good", { n: 1 })).payload).toMatchObject({ status: "ok", result: { n: 1 } })
    await client.close()
  })
})

/** Polls `probe` until `done` holds: the run's end is judged in the background, after the ack. */
const eventually = async <T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> => {
  const deadline = Date.now() + 10_000
  for (;;) {
    const value = await probe()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}: ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe("migration safeguards see how agent runs end (PROTOCOL §8)", () => {
  let backend: FakeLegacyBackend
  beforeAll(async () => {
    backend = await startFakeLegacyBackend()
  })
  afterAll(() => backend.close())

  /** Starts a run that the built-in agent fails on purpose; resolves with its `agent_completed`. */
  const failingRun = async (client: TestClient, type: string, id: string) => {
    const ack = await client.request(type, id, { text: "hi", params: { fail_with: "MODEL_DOWN" } })
    expect(ack.payload).toMatchObject({ status: "ok" })
    const runId = ack.payload["result"].run_id as string
    expect(runId).toMatch(/^r-/)
    const completed = await client.completed(runId)
    expect(completed.payload).toMatchObject({ status: "failed" })
    return runId
  }

  it("next_primary: runs that end failed count as next's errors and open its breaker; legacy then serves", async () => {
    const server = await startServer({
      settings: {
        agentStepMs: 1,
        legacyBackendUrl: Redacted.make(backend.url),
        legacyTypes: ["start_agent"],
        migrationStrategy: "next_primary",
        migrationRollbackOnError: false
      }
    })
    try {
      const client = await TestClient.connect(server.wsUrl(token("frank")))
      for (let i = 0; i < 5; i++) await failingRun(client, "start_agent", `fail-${i}`)
      const entry = await eventually(
        () => adminGet(server, "/admin/migrations").then((body) => body.types["start_agent"]),
        (entry) => entry.breaker === "open",
        "next's breaker to open"
      )
      expect(entry).toMatchObject({ stage: "next_primary", stats: { next: { count: 5, errors: 5 } } })
      // with next's breaker open, legacy serves (fallback)
      const ack = await client.request("start_agent", "after", { text: "hi" })
      expect(ack.payload["result"].run_id).toMatch(/^legacy-run-/)
      await client.close()
    } finally {
      await server.close()
    }
  })

  it("next_primary with rollback: failing runs roll the type back to legacy_only", async () => {
    const server = await startServer({
      settings: {
        agentStepMs: 1,
        legacyBackendUrl: Redacted.make(backend.url),
        legacyTypes: ["agent_request"],
        migrationStrategy: "next_primary",
        migrationRollbackMinSamples: 3
      }
    })
    try {
      const client = await TestClient.connect(server.wsUrl(token("gina")))
      for (let i = 0; i < 3; i++) await failingRun(client, "agent_request", `fail-${i}`)
      const entry = await eventually(
        () => adminGet(server, "/admin/migrations").then((body) => body.types["agent_request"]),
        (entry) => entry.stage === "legacy_only",
        "the rollback"
      )
      expect(entry.rollback).toMatchObject({ at: expect.any(String), reason: expect.stringContaining("error rate") })
      expect(entry.stats.next).toMatchObject({ count: 3, errors: 3 })
      const ack = await client.request("agent_request", "after", { text: "hi" })
      expect(ack.payload["result"].run_id).toMatch(/^legacy-run-/)
      await client.close()
    } finally {
      await server.close()
    }
  })

  it("runs that complete count as next's successes", async () => {
    const server = await startServer({
      settings: {
        agentStepMs: 1,
        legacyBackendUrl: Redacted.make(backend.url),
        legacyTypes: ["user_message"],
        migrationStrategy: "next_only"
      }
    })
    try {
      const client = await TestClient.connect(server.wsUrl(token("hal")))
      for (let i = 0; i < 3; i++) {
        const ack = await client.request("user_message", `ok-${i}`, { text: "what is 17 * 23" })
        const completed = await client.completed(ack.payload["result"].run_id as string)
        expect(completed.payload).toMatchObject({ status: "completed" })
      }
      const entry = await eventually(
        () => adminGet(server, "/admin/migrations").then((body) => body.types["user_message"]),
        (entry) => entry.stats.next.count === 3,
        "three judged runs"
      )
      expect(entry).toMatchObject({ breaker: "closed", stats: { next: { count: 3, errors: 0 } } })
      await client.close()
    } finally {
      await server.close()
    }
  })
})
