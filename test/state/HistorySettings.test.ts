import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either } from "effect"
import { HistorySettings } from "../../src/state/HistorySettings.js"

const read = (env: Record<string, string>) =>
  Effect.either(Effect.withConfigProvider(HistorySettings.config, ConfigProvider.fromMap(new Map(Object.entries(env)))))

describe("HISTORY_* settings", () => {
  it.effect("are read from the environment, the defaults where unset", () =>
    Effect.gen(function*() {
      expect(yield* read({})).toEqual(Either.right(HistorySettings.defaults))
      expect(yield* read({ HISTORY_MIN_EVENTS: "0", HISTORY_MAX_BYTES: "0" })).toEqual(
        Either.right({ ...HistorySettings.defaults, historyMinEvents: 0, historyMaxBytes: 0 })
      )
    }))

  it.effect("refuse a negative count, and a minimum above the maximum, naming the setting", () =>
    Effect.gen(function*() {
      for (const name of ["HISTORY_MIN_EVENTS", "HISTORY_MIN_AGE_MS", "HISTORY_MAX_EVENTS", "HISTORY_MAX_BYTES"]) {
        const refused = yield* read({ [name]: "-1" })
        expect(Either.isLeft(refused) && String(refused.left)).toContain(`${name} must be an integer of 0 or more`)
      }
      const crossed = yield* read({ HISTORY_MIN_EVENTS: "20", HISTORY_MAX_EVENTS: "10" })
      expect(Either.isLeft(crossed) && String(crossed.left)).toContain("HISTORY_MIN_EVENTS must not be above HISTORY_MAX_EVENTS")
    }))
})
