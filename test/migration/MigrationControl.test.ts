import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Metric, Option, Redacted, TestClock } from "effect"
import { type ControlSettings, MigrationControl } from "../../src/migration/MigrationControl.js"
import { MigrationSettings } from "../../src/migration/MigrationSettings.js"
import * as Metrics from "../../src/observability/Metrics.js"

const withControl = (settings: Partial<ControlSettings> = {}, types: ReadonlyArray<string> = ["t"]) =>
  Effect.provide(MigrationControl.layerWith(settings, types))

/** Records `n` calls of one side, `latencyMs` each, failing or not. */
const calls = (side: "legacy" | "next", n: number, options: { readonly ok: boolean; readonly latencyMs?: number }) =>
  Effect.gen(function*() {
    const control = yield* MigrationControl
    const state = yield* control.state("t")
    for (let i = 0; i < n; i++) yield* control.record(state, side, options.latencyMs ?? 5, options.ok)
  })

const stageOf = (type = "t") =>
  Effect.flatMap(MigrationControl, (control) => Effect.map(control.entry(type), (e) => Option.getOrThrow(e)))

describe("MigrationControl: automatic rollback (PROTOCOL §8)", () => {
  it.effect("rolls back to legacy_only once next's error rate exceeds legacy's by more than 5 points", () =>
    Effect.gen(function*() {
      const control = yield* MigrationControl
      yield* TestClock.setTime(Date.parse("2026-11-23T10:00:00.000Z"))
      yield* control.setStage("t", "canary", 50)
      yield* calls("legacy", 20, { ok: true })
      // 19 failures of next: below the minimum sample size, no decision yet
      yield* calls("next", 19, { ok: false })
      expect((yield* stageOf()).stage).toBe("canary")
      yield* calls("next", 1, { ok: false })
      const entry = yield* stageOf()
      expect(entry.stage).toBe("legacy_only")
      expect(entry.rollback).toEqual({
        at: "2026-11-23T10:00:00.000Z",
        reason: expect.stringContaining("error rate")
      })
      // statistics are never reset
      expect(entry.stats.next).toMatchObject({ count: 20, errors: 20 })
      expect(entry.stats.legacy).toMatchObject({ count: 20, errors: 0 })
    }).pipe(withControl()))

  it.effect("rolls back on next's p95 latency above 1.5x legacy's", () =>
    Effect.gen(function*() {
      const control = yield* MigrationControl
      yield* control.setStage("t", "next_primary")
      yield* calls("legacy", 20, { ok: true, latencyMs: 10 })
      yield* calls("next", 20, { ok: true, latencyMs: 14 })
      expect((yield* stageOf()).stage).toBe("next_primary")
      yield* calls("next", 20, { ok: true, latencyMs: 40 })
      const entry = yield* stageOf()
      expect(entry.stage).toBe("legacy_only")
      expect(entry.rollback?.reason).toContain("p95 latency")
    }).pipe(withControl()))

  it.effect("with no legacy samples, next's own error rate decides (next_only)", () =>
    Effect.gen(function*() {
      const control = yield* MigrationControl
      yield* control.setStage("t", "next_only")
      yield* calls("next", 18, { ok: true })
      yield* calls("next", 2, { ok: false })
      // 10% errors against 0%: over the 5 point threshold
      expect((yield* stageOf()).stage).toBe("legacy_only")
    }).pipe(withControl()))

  it.effect("uses configured thresholds and minimum sample size", () =>
    Effect.gen(function*() {
      const control = yield* MigrationControl
      yield* control.setStage("t", "next_only")
      yield* calls("next", 4, { ok: false })
      expect((yield* stageOf()).stage).toBe("next_only")
      yield* calls("next", 1, { ok: false })
      expect((yield* stageOf()).stage).toBe("legacy_only")
    }).pipe(withControl({
      rollback: { maxErrorRateDelta: 0.5, maxLatencyRatio: 10, minimumSamples: 5, minLatencyDeltaMs: 1 }
    })))

  it.effect("never rolls back in shadow, where next serves nobody", () =>
    Effect.gen(function*() {
      const control = yield* MigrationControl
      yield* control.setStage("t", "shadow")
      yield* calls("legacy", 20, { ok: true })
      yield* calls("next", 30, { ok: false })
      expect((yield* stageOf()).stage).toBe("shadow")
    }).pipe(withControl()))

  it.effect("never rolls back with MIGRATION_ROLLBACK_ON_ERROR off", () =>
    Effect.gen(function*() {
      const control = yield* MigrationControl
      yield* control.setStage("t", "next_primary")
      yield* calls("next", 30, { ok: false })
      const entry = yield* stageOf()
      expect(entry.stage).toBe("next_primary")
      expect(entry.rollback).toBeUndefined()
    }).pipe(withControl({ rollbackOnError: false })))

  it.effect("judges only the current stage's window: old failures age out and a stage change starts clean", () =>
    Effect.gen(function*() {
      const control = yield* MigrationControl
      yield* control.setStage("t", "next_primary")
      yield* calls("next", 15, { ok: false })
      // the failures leave the 60 s window...
      yield* TestClock.adjust("61 seconds")
      yield* calls("next", 20, { ok: true })
      expect((yield* stageOf()).stage).toBe("next_primary")
      // ...and a re-promotion forgets the previous stage's samples
      yield* calls("next", 1, { ok: false })
      yield* control.setStage("t", "canary", 100)
      yield* calls("next", 19, { ok: true })
      expect((yield* stageOf()).stage).toBe("canary")
      // while the totals keep everything
      expect((yield* stageOf()).stats.next).toMatchObject({ count: 55, errors: 16 })
    }).pipe(withControl()))

  it.effect("counts rollbacks in a metric", () =>
    Effect.gen(function*() {
      const counter = Metrics.migrationRollbacks.pipe(Metric.tagged("type", "t"))
      const before = (yield* Metric.value(counter)).count
      const control = yield* MigrationControl
      yield* control.setStage("t", "next_only")
      yield* calls("next", 20, { ok: false })
      expect((yield* Metric.value(counter)).count).toBe(before + 1)
    }).pipe(withControl()))
})

describe("MigrationControl: stages and entries", () => {
  it.effect("starts every type in WEBSOCKET_MIGRATION_STRATEGY's stage", () =>
    Effect.gen(function*() {
      const control = yield* MigrationControl
      const entries = yield* control.entries
      expect(Object.keys(entries)).toEqual(["a", "b"])
      expect(entries["a"]).toEqual({
        stage: "next_primary",
        canary_percent: 10,
        breaker: "closed",
        stats: {
          legacy: { count: 0, errors: 0, p50_ms: 0, p95_ms: 0 },
          next: { count: 0, errors: 0, p50_ms: 0, p95_ms: 0 },
          fallbacks: 0,
          shadow_mismatches: 0
        }
      })
    }).pipe(withControl({ defaultStage: "next_primary" }, ["a", "b"])))

  it.effect("dual_mode with SSOT_ENABLED_MESSAGE_TYPES: those types in canary at 100%, the rest legacy_only", () =>
    Effect.gen(function*() {
      const control = yield* MigrationControl
      const entries = yield* control.entries
      expect(entries["a"]).toMatchObject({ stage: "canary", canary_percent: 100 })
      expect(entries["b"]).toMatchObject({ stage: "legacy_only" })
    }).pipe(withControl({ defaultStage: "canary", ssotEnabledTypes: ["a"] }, ["a", "b"])))

  it.effect("setStage changes stage and canary percentage; unknown types are none", () =>
    Effect.gen(function*() {
      const control = yield* MigrationControl
      const entry = yield* control.setStage("t", "canary", 25)
      expect(Option.getOrThrow(entry)).toMatchObject({ stage: "canary", canary_percent: 25 })
      // the percentage is kept when a later change does not name one
      const next = yield* control.setStage("t", "next_primary")
      expect(Option.getOrThrow(next)).toMatchObject({ stage: "next_primary", canary_percent: 25 })
      expect(yield* control.setStage("nope", "shadow")).toEqual(Option.none())
      expect(control.has("nope")).toBe(false)
    }).pipe(withControl()))

  it.effect("keeps the latest mismatches, at most maxMismatches", () =>
    Effect.gen(function*() {
      const control = yield* MigrationControl
      const state = yield* control.state("t")
      const seen = { _tag: "Success", result: {}, events: [], settled: true } as const
      for (let i = 0; i < 5; i++) {
        yield* control.recordComparison(state, {
          user_id: "u",
          frame_id: `f${i}`,
          difference: `d${i}`,
          legacy: seen,
          next: seen
        })
      }
      yield* control.recordComparison(state, undefined)
      const details = Option.getOrThrow(yield* control.details("t"))
      expect(details.stats.shadow_mismatches).toBe(5)
      expect(details.shadow.compared).toBe(6)
      expect(details.shadow.recent_mismatches.map((m) => m.frame_id)).toEqual(["f2", "f3", "f4"])
    }).pipe(withControl({ maxMismatches: 3 })))
})

describe("migration settings from the environment", () => {
  const load = (env: Record<string, string>) =>
    Effect.provide(
      MigrationSettings,
      Layer.provide(MigrationSettings.layer, Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
    )

  it.effect("reads PROTOCOL §8's variables, seed names included", () =>
    Effect.gen(function*() {
      const defaults = yield* load({})
      expect(defaults).toMatchObject({
        legacyBackendUrl: undefined,
        legacyTypes: ["user_message", "start_agent", "agent_request", "quality_metrics", "quality_validation", "quality_report"],
        migrationStrategy: "legacy_only",
        legacyFallbackEnabled: true,
        migrationRollbackOnError: true,
        migrationLoggingEnabled: true
      })
      const set = yield* load({
        LEGACY_BACKEND_URL: "http://legacy:3000/ws-handler",
        LEGACY_TYPES: "user_message, quality_report",
        WEBSOCKET_MIGRATION_STRATEGY: "ssot_primary",
        SSOT_ENABLED_MESSAGE_TYPES: "user_message",
        LEGACY_FALLBACK_ENABLED: "false",
        MIGRATION_ROLLBACK_ON_ERROR: "false",
        MIGRATION_LOGGING_ENABLED: "false",
        MIGRATION_ROLLBACK_MIN_SAMPLES: "50"
      })
      // a URL may carry credentials: it is read as a secret
      expect(Redacted.isRedacted(set.legacyBackendUrl)).toBe(true)
      expect(set.legacyBackendUrl === undefined ? undefined : Redacted.value(set.legacyBackendUrl))
        .toBe("http://legacy:3000/ws-handler")
      expect(set).toMatchObject({
        legacyTypes: ["user_message", "quality_report"],
        migrationStrategy: "next_primary",
        ssotEnabledMessageTypes: ["user_message"],
        legacyFallbackEnabled: false,
        migrationRollbackOnError: false,
        migrationLoggingEnabled: false,
        migrationRollbackMinSamples: 50
      })
    }))

  it.effect("refuses an unknown stage name", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(load({ WEBSOCKET_MIGRATION_STRATEGY: "big_bang" }))
      expect(String(error)).toContain("WEBSOCKET_MIGRATION_STRATEGY")
      expect(String(error)).toContain("ssot_primary")
    }))
})
