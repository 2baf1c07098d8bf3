import { describe, expect, it } from "vitest"
import type { Entry } from "../../src/migration/MigrationControl.js"
import * as MergedStats from "../../src/http/MergedStats.js"

const entry = (legacy: number, p50: number, fallbacks: number): Entry => ({
  stage: "canary",
  canary_percent: 30,
  breaker: "closed",
  stats: {
    legacy: { count: legacy, errors: 1, p50_ms: p50, p95_ms: p50 * 2 },
    next: { count: 0, errors: 0, p50_ms: 0, p95_ms: 0 },
    fallbacks,
    shadow_mismatches: 0
  }
})

describe("GET /admin/migrations across nodes", () => {
  it("sums counts, errors and fallbacks of every live node and weights percentiles by count", () => {
    const merged = MergedStats.merge({ chat: entry(10, 10, 1) }, "a", [
      { node_id: "a", connections: 0, users: 0, migrations: { chat: entry(999, 999, 999) } },
      { node_id: "b", connections: 0, users: 0, migrations: { chat: entry(30, 30, 2) } }
    ])
    expect(merged["chat"]!.stats).toEqual({
      legacy: { count: 40, errors: 2, p50_ms: 25, p95_ms: 50 },
      next: { count: 0, errors: 0, p50_ms: 0, p95_ms: 0 },
      fallbacks: 3,
      shadow_mismatches: 0
    })
    expect(merged["chat"]!.stage).toBe("canary")
  })

  it("leaves out another node's entry it cannot read (another version's shape): the rest is summed, nothing throws", () => {
    const merged = MergedStats.merge({ chat: entry(10, 10, 1) }, "a", [
      { node_id: "b", connections: 0, users: 0, migrations: { chat: { stage: "canary" } } },
      { node_id: "c", connections: 0, users: 0, migrations: { chat: { stats: { legacy: "many" } } } },
      { node_id: "d", connections: 0, users: 0, migrations: { chat: null } },
      { node_id: "e", connections: 0, users: 0, migrations: { chat: entry(30, 30, 2) } }
    ])
    expect(merged["chat"]!.stats.legacy).toEqual({ count: 40, errors: 2, p50_ms: 25, p95_ms: 50 })
    expect(merged["chat"]!.stats.fallbacks).toBe(3)
  })

  it("is this node's view alone when no other node reported", () => {
    const local = { chat: entry(10, 10, 1) }
    expect(MergedStats.merge(local, "a", [])).toBe(local)
  })
})
