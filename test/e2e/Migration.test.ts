import { Effect, HashMap, Layer, Logger, LogLevel, Redacted, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { MigrationSettings } from "../../src/migration/MigrationSettings.js"
import { BuiltinHandlers } from "../../src/handlers/index.js"
import * as Canary from "../../src/migration/Canary.js"
import { FrameError } from "../../src/protocol/FrameError.js"
import * as Handler from "../../src/handlers/Handler.js"
import { defaultReply, type FakeLegacyBackend, startFakeLegacyBackend } from "../support/FakeLegacyBackend.js"
import { TestClient } from "../support/TestClient.js"
import { startServer, type TestServer, token } from "../support/TestServer.js"

/** The `next` side of the test's own types; `flaky` fails while `flags.flakyFails`. */
const ServedBy = Schema.Struct({ served_by: Schema.String })
const flags = { flakyFails: false, flakyCalls: 0 }
const servedByNext = (type: string) =>
  Handler.make(type, { payload: Schema.Struct({}), success: ServedBy, handle: () => Effect.succeed({ served_by: "next" }) })
const flaky = Handler.make("flaky", {
  payload: Schema.Struct({}),
  success: ServedBy,
  handle: () =>
    Effect.suspend(() => {
      flags.flakyCalls++
      return flags.flakyFails ? Effect.fail(FrameError.handlerFailed("next is broken")) : Effect.succeed({ served_by: "next" })
    })
})
const testHandlers = [...BuiltinHandlers, servedByNext("whoami"), servedByNext("fragile"), servedByNext("slow"), flaky]
const testTypes = ["whoami", "fragile", "slow", "flaky", "backend_only"]

/** A captured log line. */
interface Line {
  readonly message: string
  readonly level: string
  readonly annotations: Record<string, unknown>
}

const capturingLogs = (lines: Array<Line>) =>
  Layer.merge(
    Logger.replace(
      Logger.defaultLogger,
      Logger.make<unknown, void>(({ annotations, logLevel, message }) => {
        lines.push({
          message: String(Array.isArray(message) ? message[0] : message),
          level: logLevel.label,
          annotations: Object.fromEntries(HashMap.toEntries(annotations))
        })
      })
    ),
    Logger.minimumLogLevel(LogLevel.Debug)
  )

/** Calls the admin API; `token: null` sends none. */
const adminCall = async (
  server: TestServer,
  method: "GET" | "PUT",
  path: string,
  options: { readonly body?: unknown; readonly raw?: string; readonly token?: string | null } = {}
): Promise<{ status: number; body: any }> => {
  const jwt = options.token === undefined ? token("ops", { roles: ["admin"] }) : options.token
  const headers: Record<string, string> = { "content-type": "application/json" }
  if (jwt !== null) headers["authorization"] = `Bearer ${jwt}`
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body))
  const response = await fetch(server.url(path), { method, headers, ...(body === undefined ? {} : { body }) })
  return { status: response.status, body: await response.json() }
}

/** Polls `probe` until `done` holds (the background work it waits for has no event to await). */
const eventually = async <T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> => {
  const deadline = Date.now() + 10_000
  for (;;) {
    const value = await probe()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}: ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe("taking over a legacy HTTP backend, over real sockets (PROTOCOL §8)", () => {
  let backend: FakeLegacyBackend
  let server: TestServer
  const lines: Array<Line> = []
  const admin = (method: "GET" | "PUT", path: string, options?: Parameters<typeof adminCall>[3]) =>
    adminCall(server, method, path, options)
  const setStage = async (type: string, stage: string, canaryPercent?: number) => {
    const response = await admin("PUT", `/admin/migrations/${type}`, {
      body: canaryPercent === undefined ? { stage } : { stage, canary_percent: canaryPercent }
    })
    expect(response.status).toBe(200)
    return response.body
  }
  const details = (type: string) => admin("GET", `/admin/migrations/${type}`).then((r) => r.body)

  beforeAll(async () => {
    backend = await startFakeLegacyBackend()
    server = await startServer({
      settings: {
        agentStepMs: 1,
        legacyBackendUrl: Redacted.make(backend.url),
        legacyTypes: [...MigrationSettings.defaults.legacyTypes, ...testTypes],
        legacyRetries: 1,
        legacyTimeoutMs: 300
      },
      handlers: testHandlers,
      logs: capturingLogs(lines)
    })
  })
  afterAll(async () => {
    await server.close()
    await backend.close()
  })

  describe("the admin API", () => {
    it("lists every type with two implementations, each in its own entry, starting legacy_only", async () => {
      const { body, status } = await admin("GET", "/admin/migrations")
      expect(status).toBe(200)
      expect(Object.keys(body.types).sort()).toEqual(
        [...MigrationSettings.defaults.legacyTypes, "whoami", "fragile", "slow", "flaky"].sort()
      )
      const empty = { count: 0, errors: 0, p50_ms: 0, p95_ms: 0 }
      expect(body.types["agent_request"]).toEqual({
        stage: "legacy_only",
        canary_percent: 10,
        breaker: "closed",
        stats: { legacy: empty, next: empty, fallbacks: 0, shadow_mismatches: 0 }
      })
    })

    it("requires an admin token: none or invalid 401, without the admin role 403", async () => {
      for (const method of ["GET", "PUT"] as const) {
        const path = method === "GET" ? "/admin/migrations" : "/admin/migrations/whoami"
        const body = method === "PUT" ? { stage: "shadow" } : undefined
        expect((await admin(method, path, { body, token: null })).status).toBe(401)
        expect((await admin(method, path, { body, token: "not-a-jwt" })).status).toBe(401)
        expect((await admin(method, path, { body, token: token("ops", { ttlS: -60, roles: ["admin"] }) })).status)
          .toBe(401)
        expect((await admin(method, path, { body, token: token("alice") })).status).toBe(403)
        expect((await admin(method, path, { body, token: token("alice", { roles: ["support"] }) })).status).toBe(403)
      }
      expect((await admin("GET", "/admin/migrations/whoami", { token: token("alice") })).status).toBe(403)
      // nothing changed
      expect((await details("whoami")).stage).toBe("legacy_only")
    })

    it("answers 404 for a type without two implementations", async () => {
      for (const type of ["backend_only", "ping", "no_such_type"]) {
        const put = await admin("PUT", `/admin/migrations/${type}`, { body: { stage: "shadow" } })
        expect(put.status).toBe(404)
        expect(put.body.error).toEqual(expect.any(String))
        expect((await admin("GET", `/admin/migrations/${type}`)).status).toBe(404)
      }
    })

    it("answers 400 for a bad body", async () => {
      const bad = [
        { raw: "not json" },
        { raw: "" },
        { body: [] },
        { body: {} },
        { body: { stage: "big_bang" } },
        { body: { stage: 3 } },
        { body: { stage: "canary", canary_percent: 101 } },
        { body: { stage: "canary", canary_percent: -1 } },
        { body: { stage: "canary", canary_percent: 12.5 } },
        { body: { stage: "canary", canary_percent: "50" } }
      ]
      for (const options of bad) {
        const response = await admin("PUT", "/admin/migrations/whoami", options)
        expect({ options, status: response.status }).toEqual({ options, status: 400 })
        expect(response.body.error).toEqual(expect.any(String))
      }
      expect((await details("whoami")).stage).toBe("legacy_only")
    })

    it("accepts either column's stage names and reports the first column's", async () => {
      const pairs = [
        ["testing", "shadow"],
        ["dual_mode", "canary"],
        ["ssot_primary", "next_primary"],
        ["ssot_only", "next_only"],
        ["legacy_only", "legacy_only"]
      ] as const
      for (const [name, stage] of pairs) {
        const entry = await setStage("slow", name, 40)
        expect(entry).toMatchObject({ stage, canary_percent: 40, breaker: "closed" })
        expect((await admin("GET", "/admin/migrations")).body.types["slow"].stage).toBe(stage)
      }
    })
  })

  describe("each stage over a real socket", () => {
    it("legacy_only: the backend serves; its result is the ack's; its events follow on the user's stream", async () => {
      const client = await TestClient.connect(server.wsUrl(token("alice")))
      const before = backend.calls.length
      client.send({ type: "user_message", id: "m1", user_id: "mallory", payload: { text: "hi" } })
      const ack = await client.reply("m1")
      expect(ack.type).toBe("ack")
      const runId = ack.payload["result"].run_id as string
      expect(runId).toMatch(/^legacy-run-/)
      const completed = await client.completed(runId)
      expect(completed.payload).toMatchObject({ status: "completed", response: { text: "legacy says: hi" } })
      const events = client.runEvents(runId)
      expect(events.map((e) => e.type)).toEqual([
        "agent_started",
        "agent_thinking",
        "agent_message_delta",
        "agent_completed"
      ])
      expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4])
      expect(client.frames.indexOf(ack)).toBeLessThan(client.frames.indexOf(events[0]!))
      // the user id comes from the token, never from the frame
      expect(backend.calls.slice(before)).toEqual([{ user_id: "alice", type: "user_message", id: "m1", payload: { text: "hi" } }])

      // start_agent and its alias agent_request reach the backend as their own types
      await client.request("start_agent", "s1", { text: "a" })
      await client.request("agent_request", "s2", { text: "b" })
      expect(backend.calls.slice(-2).map((c) => c.type)).toEqual(["start_agent", "agent_request"])
      // a frame without an id is sent with id null
      client.send({ type: "whoami" })
      await eventually(async () => backend.callsOf("whoami").length, (n) => n === 1, "the whoami call")
      expect(backend.callsOf("whoami")[0]).toEqual({ user_id: "alice", type: "whoami", id: null, payload: {} })
      await client.close()
    })

    it("shadow: the user gets legacy only; next runs isolated, is compared, and the mismatch is kept", async () => {
      await setStage("user_message", "shadow")
      await setStage("quality_metrics", "next_only")
      const client = await TestClient.connect(server.wsUrl(token("bob")))
      const ack = await client.request("user_message", "m1", { text: "what is 17 * 23" })
      const runId = ack.payload["result"].run_id as string
      expect(runId).toMatch(/^legacy-run-/)
      await client.completed(runId)
      const d = await eventually(() => details("user_message"), (x) => x.shadow.compared === 1, "the comparison")
      expect(d.stats.next).toMatchObject({ count: 1, errors: 0 })
      expect(d.stats.legacy.count).toBeGreaterThanOrEqual(1)
      expect(d.stats.shadow_mismatches).toBe(1)
      const mismatch = d.shadow.recent_mismatches[0]
      expect(mismatch).toMatchObject({ user_id: "bob", frame_id: "m1", legacy: { _tag: "Success" }, next: { _tag: "Success" } })
      // the built-in agent's run was captured in full (it used the calculator)
      expect(mismatch.next.events.map((e: { type: string }) => e.type)).toContain("tool_completed")
      expect(mismatch.next.settled).toBe(true)
      // the user's stream holds legacy's four events and nothing of the shadow run
      const resumed = await client.request("resume", "r1", { last_seq: 0 })
      expect(resumed.payload["result"]).toEqual({ replayed: 4, gap: false, epoch: client.greeting.payload["epoch"] })
      const runIds = new Set(client.frames.filter((f) => f.run_id !== undefined).map((f) => f.run_id))
      expect(Array.from(runIds)).toEqual([runId])
      // and the user's run list does not have it either (quality_metrics reads it)
      const metrics = await client.request("quality_metrics", "q1", {})
      expect(metrics.payload["result"]).toMatchObject({ runs: 0 })
      await setStage("quality_metrics", "legacy_only")
      await client.close()
    })

    it("canary: next serves close to canary_percent of users, the same side for a user every time", async () => {
      await setStage("whoami", "canary", 30)
      const users = Array.from({ length: 200 }, (_, i) => `canary-user-${i}`)
      const sides = new Map<string, string>()
      for (let i = 0; i < users.length; i += 20) {
        await Promise.all(users.slice(i, i + 20).map(async (user) => {
          const client = await TestClient.connect(server.wsUrl(token(user)))
          const first = await client.request("whoami", "w1", {})
          const second = await client.request("whoami", "w2", {})
          expect(second.payload["result"].served_by).toBe(first.payload["result"].served_by)
          sides.set(user, first.payload["result"].served_by as string)
          await client.close()
        }))
      }
      const onNext = users.filter((user) => sides.get(user) === "next")
      // exactly the users the stable hash puts in the canary...
      expect(onNext).toEqual(users.filter((user) => Canary.inCanary(user, 30)))
      // ...which is close to the configured share
      expect(onNext.length / users.length).toBeGreaterThan(0.2)
      expect(onNext.length / users.length).toBeLessThan(0.4)
      const entry = await details("whoami")
      expect(entry.stats.next.count).toBe(onNext.length * 2)
    })

    it("next_primary: the built-in handler serves and the backend is not called, even while it is failing", async () => {
      await setStage("user_message", "next_primary")
      backend.respond = () => ({ status: 500, body: { error: "down" } })
      try {
        const client = await TestClient.connect(server.wsUrl(token("carol")))
        const before = backend.calls.length
        const ack = await client.request("user_message", "m1", { text: "what is 17 * 23" })
        const runId = ack.payload["result"].run_id as string
        expect(runId).toMatch(/^r-/)
        const completed = await client.completed(runId)
        expect(completed.payload["response"].text).toContain("391")
        expect(backend.calls.length).toBe(before)
        await client.close()
      } finally {
        backend.respond = (call) => defaultReply(call, backend.calls.length)
      }
    })

    it("next_only: next serves, the backend is never asked", async () => {
      await setStage("start_agent", "next_only")
      const client = await TestClient.connect(server.wsUrl(token("dave")))
      const before = backend.calls.length
      const ack = await client.request("start_agent", "s1", { text: "hello" })
      expect(ack.payload["result"].run_id).toMatch(/^r-/)
      await client.completed(ack.payload["result"].run_id)
      // its alias is its own type: still served by the backend
      const alias = await client.request("agent_request", "s2", { text: "hello" })
      expect(alias.payload["result"].run_id).toMatch(/^legacy-run-/)
      expect(backend.calls.slice(before).map((c) => c.type)).toEqual(["agent_request"])
      await client.close()
    })
  })

  describe("failures", () => {
    it("legacy_only with a failing backend: HANDLER_FAILED after a retry, then the breaker opens: UNAVAILABLE", async () => {
      backend.respond = (call) => call.type === "fragile" ? { status: 500 } : defaultReply(call, backend.calls.length)
      try {
        const client = await TestClient.connect(server.wsUrl(token("erin")))
        for (let i = 0; i < 5; i++) {
          const reply = await client.request("fragile", `f${i}`, {})
          expect(reply.payload).toMatchObject({ code: "HANDLER_FAILED", details: { reason: "Status", status: 500 } })
        }
        // one retry per frame
        expect(backend.callsOf("fragile").length).toBe(10)
        expect(await details("fragile")).toMatchObject({
          breaker: "open",
          stats: { legacy: { count: 5, errors: 5 }, next: { count: 0 } }
        })
        const refused = await client.request("fragile", "f5", {})
        expect(refused.payload).toMatchObject({ code: "UNAVAILABLE" })
        expect(backend.callsOf("fragile").length).toBe(10)
        // the transition is counted
        const metrics = await (await fetch(server.url("/metrics"))).text()
        expect(metrics).toMatch(/switchyard_circuit_breaker_transitions_total\{breaker="fragile\/legacy",to="open"\} 1/)
        await client.close()
      } finally {
        backend.respond = (call) => defaultReply(call, backend.calls.length)
      }
    })

    it("legacy_only with a backend that does not answer: TIMEOUT", async () => {
      backend.respond = (call) => call.type === "slow" ? { hang: true } : defaultReply(call, backend.calls.length)
      try {
        const client = await TestClient.connect(server.wsUrl(token("frank")))
        const reply = await client.request("slow", "t1", {})
        expect(reply.payload).toMatchObject({ code: "TIMEOUT" })
        await client.close()
      } finally {
        backend.respond = (call) => defaultReply(call, backend.calls.length)
      }
    })

    it("next_primary: a failing next falls back to legacy, its breaker opens, and the type rolls back to legacy_only", async () => {
      await setStage("flaky", "next_primary")
      flags.flakyFails = true
      const client = await TestClient.connect(server.wsUrl(token("grace")))
      for (let i = 0; i < 5; i++) {
        const ack = await client.request("flaky", `x${i}`, {})
        expect(ack.payload["result"]).toMatchObject({ served_by: "legacy" })
      }
      expect(await details("flaky")).toMatchObject({
        stage: "next_primary",
        breaker: "open",
        stats: { fallbacks: 5, next: { count: 5, errors: 5 } }
      })
      // the users never notice: legacy keeps serving while next's breaker is open...
      for (let i = 5; i < 20; i++) {
        const ack = await client.request("flaky", `x${i}`, {})
        expect(ack.payload["result"]).toMatchObject({ served_by: "legacy" })
      }
      expect(flags.flakyCalls).toBe(5)
      // ...and with 20 samples on each side the rollback rule fires
      const entry = await details("flaky")
      expect(entry).toMatchObject({ stage: "legacy_only", stats: { fallbacks: 20 } })
      expect(entry.rollback).toEqual({ at: expect.any(String), reason: expect.stringContaining("error rate") })
      expect(Number.isNaN(Date.parse(entry.rollback.at))).toBe(false)
      const rolledBack = lines.find((line) => line.message.includes("rolled back") && line.annotations["type"] === "flaky")
      expect(rolledBack?.level).toBe("WARN")
      const ack = await client.request("flaky", "after", {})
      expect(ack.payload["result"]).toMatchObject({ served_by: "legacy" })
      flags.flakyFails = false
      await client.close()
    })

    it("logs each routing decision at debug with type, stage, side and outcome", () => {
      const decisions = lines.filter((line) => line.message === "migration routing decision")
      expect(decisions.length).toBeGreaterThan(0)
      expect(decisions.every((line) => line.level === "DEBUG")).toBe(true)
      expect(decisions.find((line) => line.annotations["type"] === "flaky" && line.annotations["role"] === "fallback")
        ?.annotations).toMatchObject({ stage: "next_primary", side: "legacy", outcome: "ok" })
      expect(decisions.find((line) => line.annotations["type"] === "fragile")?.annotations).toMatchObject({
        stage: "legacy_only",
        side: "legacy",
        outcome: "error"
      })
    })
  })
})

describe("migration settings from the environment, over real sockets", () => {
  let backend: FakeLegacyBackend
  beforeAll(async () => {
    backend = await startFakeLegacyBackend()
  })
  afterAll(() => backend.close())

  it("dual_mode with SSOT_ENABLED_MESSAGE_TYPES puts those types in canary at 100%, the rest stay legacy_only", async () => {
    const server = await startServer({
      settings: {
        legacyBackendUrl: Redacted.make(backend.url),
        legacyTypes: ["whoami", "user_message"],
        migrationStrategy: "canary",
        ssotEnabledMessageTypes: ["whoami"]
      },
      handlers: testHandlers
    })
    try {
      const { body } = await adminCall(server, "GET", "/admin/migrations")
      expect(body.types["whoami"]).toMatchObject({ stage: "canary", canary_percent: 100 })
      expect(body.types["user_message"]).toMatchObject({ stage: "legacy_only" })
      const client = await TestClient.connect(server.wsUrl(token("henry")))
      expect((await client.request("whoami", "w", {})).payload["result"]).toEqual({ served_by: "next" })
      await client.close()
    } finally {
      await server.close()
    }
  })

  it("without fallback (LEGACY_FALLBACK_ENABLED=false) next's failure reaches the user, and an open breaker is UNAVAILABLE", async () => {
    const server = await startServer({
      settings: {
        legacyBackendUrl: Redacted.make(backend.url),
        legacyTypes: ["flaky"],
        migrationStrategy: "next_primary",
        legacyFallbackEnabled: false,
        migrationRollbackOnError: false
      },
      handlers: testHandlers
    })
    flags.flakyFails = true
    try {
      const client = await TestClient.connect(server.wsUrl(token("ivy")))
      for (let i = 0; i < 5; i++) {
        expect((await client.request("flaky", `x${i}`, {})).payload).toMatchObject({ code: "HANDLER_FAILED" })
      }
      expect((await client.request("flaky", "x5", {})).payload).toMatchObject({ code: "UNAVAILABLE" })
      expect(backend.callsOf("flaky")).toEqual([])
      await client.close()
    } finally {
      flags.flakyFails = false
      await server.close()
    }
  })
})
