import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as Clock from "../../src/agent/tools/Clock.js"
import { BuiltinTools } from "../../src/agent/tools/index.js"
import * as Tool from "../../src/agent/Tool.js"

// 2024-07-14T10:30:00Z, a summer Sunday: Paris is UTC+2
const BASTILLE_DAY = Date.UTC(2024, 6, 14, 10, 30, 0)

describe("ClockTool", () => {
  it.effect("reads the time from TestClock, in UTC by default", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(BASTILLE_DAY)
      const output = yield* Clock.ClockTool.run({})
      expect(output.iso).toBe("2024-07-14T10:30:00.000Z")
      expect(output.timezone).toBe("UTC")
      expect(output.text).toContain("Sunday, July 14, 2024")
      expect(output.text).toContain("10:30:00 AM")
    }))

  it.effect("formats the wall-clock time in the requested timezone", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(BASTILLE_DAY)
      const output = yield* Clock.ClockTool.run({ timezone: "europe/paris" })
      expect(output.iso).toBe("2024-07-14T10:30:00.000Z")
      expect(output.timezone).toBe("Europe/Paris")
      expect(output.text).toContain("12:30:00 PM")
    }))

  it.effect("follows the clock as it moves", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(BASTILLE_DAY)
      yield* TestClock.adjust("90 minutes")
      expect((yield* Clock.ClockTool.run({})).iso).toBe("2024-07-14T12:00:00.000Z")
    }))

  it.effect("fails with ToolError on an unknown timezone", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Clock.ClockTool.run({ timezone: "Mars/Olympus_Mons" }))
      expect(error).toBeInstanceOf(Tool.ToolError)
      expect(error).toMatchObject({ tool: "clock", message: "unknown timezone \"Mars/Olympus_Mons\"" })
    }))

  it.effect("runs by name from unknown JSON through the toolkit", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(BASTILLE_DAY)
      expect(yield* BuiltinTools.runUnknown("clock", { timezone: "Asia/Tokyo" })).toMatchObject({
        timezone: "Asia/Tokyo",
        iso: "2024-07-14T10:30:00.000Z"
      })
      const error = yield* Effect.flip(BuiltinTools.runUnknown("clock", { timezone: 7 }))
      expect(error.message).toMatch(/^invalid input/)
    }))
})

describe("mentionsTime", () => {
  it("recognises questions about the time or date", () => {
    for (
      const text of [
        "what time is it",
        "What time is it in Tokyo?",
        "what's the date today",
        "whats the time",
        "current time in Europe/Paris",
        "what day is it",
        "tell me the time please",
        "today's date?"
      ]
    ) expect(Clock.mentionsTime(text), text).toBe(true)
  })

  it("ignores other messages", () => {
    for (const text of ["hello", "what is 17 * 23", "I had a great time", "time complexity of quicksort", ""]) {
      expect(Clock.mentionsTime(text), text).toBe(false)
    }
  })
})

describe("extractTimezone", () => {
  it("finds IANA zones and UTC, canonicalised", () => {
    expect(Clock.extractTimezone("current time in Europe/Paris")).toBe("Europe/Paris")
    expect(Clock.extractTimezone("what time is it in america/new_york?")).toBe("America/New_York")
    expect(Clock.extractTimezone("time in UTC please")).toBe("UTC")
    expect(Clock.extractTimezone("and in Etc/GMT+5.")).toBe("Etc/GMT+5")
  })

  it("maps a city after \"in\" to its zone", () => {
    expect(Clock.extractTimezone("What time is it in Tokyo?")).toBe("Asia/Tokyo")
    expect(Clock.extractTimezone("the time in New York right now")).toBe("America/New_York")
  })

  it("returns undefined when no zone is named", () => {
    expect(Clock.extractTimezone("what time is it")).toBeUndefined()
    expect(Clock.extractTimezone("read and/or write in Narnia")).toBeUndefined()
  })
})
