import { describe, expect, it } from "@effect/vitest"
import { Either, Option, Schema } from "effect"
import { BuiltinHandlers } from "../../src/handlers/index.js"
import * as Canary from "../../src/migration/Canary.js"
import * as Compare from "../../src/migration/Compare.js"
import * as Migration from "../../src/migration/Migration.js"
import * as Stage from "../../src/migration/Stage.js"
import * as Takeover from "../../src/migration/Takeover.js"
import { extensionEvent } from "../../src/protocol/ExtensionEvent.js"
import type { StreamEvent } from "../../src/protocol/StreamEvents.js"

describe("Stage", () => {
  it("parses both columns' names to the canonical stage", () => {
    expect(Stage.parse("legacy_only")).toEqual(Option.some("legacy_only"))
    expect(Stage.parse("testing")).toEqual(Option.some("shadow"))
    expect(Stage.parse("dual_mode")).toEqual(Option.some("canary"))
    expect(Stage.parse("ssot_primary")).toEqual(Option.some("next_primary"))
    expect(Stage.parse(" SSOT_ONLY ")).toEqual(Option.some("next_only"))
    expect(Stage.parse("big_bang")).toEqual(Option.none())
  })

  it("decodes admin bodies' stage names and rejects unknown ones", () => {
    const decode = Schema.decodeUnknownEither(Stage.StageName)
    expect(decode("testing")).toEqual(Either.right("shadow"))
    expect(decode("next_only")).toEqual(Either.right("next_only"))
    expect(Either.isLeft(decode("nope"))).toBe(true)
    expect(Either.isLeft(decode(3))).toBe(true)
  })
})

describe("Canary", () => {
  it("is stable per user and splits close to the percentage", () => {
    const users = Array.from({ length: 10_000 }, (_, i) => `user-${i}`)
    for (const percent of [0, 10, 30, 50, 100]) {
      const inside = users.filter((u) => Canary.inCanary(u, percent)).length / users.length
      expect(Math.abs(inside - percent / 100)).toBeLessThan(0.02)
    }
    expect(users.map((u) => Canary.bucket(u))).toEqual(users.map((u) => Canary.bucket(u)))
    // raising the percentage only adds users
    expect(users.filter((u) => Canary.inCanary(u, 10)).every((u) => Canary.inCanary(u, 30))).toBe(true)
  })

  it("hashes with 32-bit FNV-1a (known vectors)", () => {
    expect(Canary.fnv1a("")).toBe(0x811c9dc5)
    expect(Canary.fnv1a("a")).toBe(0xe40c292c)
    expect(Canary.fnv1a("foobar")).toBe(0xbf9cf968)
  })
})

describe("Compare.structural", () => {
  const ok = (result: unknown, events: Array<StreamEvent> = []) =>
    ({ _tag: "Success", result, events, settled: true }) as const

  it("ignores ids and timestamps", () => {
    const legacy = ok({ run_id: "legacy-1" }, [
      { type: "agent_started", run_id: "legacy-1", payload: { run_id: "legacy-1", agent: "a" } },
      {
        type: "tool_completed",
        run_id: "legacy-1",
        payload: { tool_call_id: "x", tool: "clock", output: { at: "2026-01-01T00:00:00.000Z", value: 391 }, ok: true }
      }
    ])
    const next = ok({ run_id: "r-2" }, [
      { type: "agent_started", run_id: "r-2", payload: { run_id: "r-2", agent: "a" } },
      {
        type: "tool_completed",
        run_id: "r-2",
        payload: { tool_call_id: "y", tool: "clock", output: { at: "2027-05-05T10:00:00Z", value: 391 }, ok: true }
      }
    ])
    expect(Compare.structural(legacy, next)).toEqual({ equal: true })
  })

  it("reports the first difference of results or events", () => {
    expect(Compare.structural(ok({ a: 1 }), ok({ a: 2 }))).toEqual({ equal: false, difference: "result.a: 1 vs 2" })
    const diff = Compare.structural(
      ok({}, [extensionEvent("x", { text: "hi" })]),
      ok({}, [extensionEvent("x", { text: "ho" })])
    )
    expect(diff).toEqual({ equal: false, difference: "events[0].payload.text: \"hi\" vs \"ho\"" })
    expect(Compare.structural(ok({}, []), ok({}, [extensionEvent("x", {})]))).toMatchObject({ equal: false })
  })

  it("a failure against a success is a mismatch; two failures match by code", () => {
    const failed = (code: string) => ({ _tag: "Failure", code, message: "m", events: [], settled: true }) as const
    expect(Compare.structural(ok({}), failed("TIMEOUT"))).toEqual({
      equal: false,
      difference: "legacy succeeded, next failed with TIMEOUT"
    })
    expect(Compare.structural(failed("TIMEOUT"), failed("TIMEOUT"))).toEqual({ equal: true })
    expect(Compare.structural(failed("TIMEOUT"), failed("HANDLER_FAILED"))).toMatchObject({ equal: false })
  })
})

describe("Takeover.apply", () => {
  const options = { url: "http://legacy.invalid", timeoutMs: 100, retries: 0 }

  it("splits start_agent and its alias into a migration each, and leaves unlisted types alone", () => {
    const routed = Takeover.apply(BuiltinHandlers, {
      ...options,
      types: ["user_message", "start_agent", "agent_request", "quality_metrics", "legacy_extra"]
    })
    expect(Migration.typesOf(routed)).toEqual(["user_message", "start_agent", "agent_request", "quality_metrics"])
    const claims = routed.flatMap((h) => [h.type, ...h.aliases])
    // every type is claimed exactly once
    expect(new Set(claims).size).toBe(claims.length)
    expect(claims).toContain("legacy_extra")
    expect(claims).toContain("stop_agent")
    const extra = routed.find((h) => h.type === "legacy_extra")!
    expect(Migration.isMigration(extra)).toBe(false)
  })

  it("keeps an unlisted alias on the original handler", () => {
    const routed = Takeover.apply(BuiltinHandlers, { ...options, types: ["start_agent"] })
    const alias = routed.find((h) => h.type === "agent_request")!
    expect(Migration.isMigration(alias)).toBe(false)
    expect(alias.aliases).toEqual([])
    expect(Migration.typesOf(routed)).toEqual(["start_agent"])
  })
})
