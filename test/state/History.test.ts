import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { History } from "../../src/store/History.js"
import { UserStream } from "../../src/state/UserStream.js"

const entry = (seq: number, at: number) => ({ seq, at, frame: `e${seq}` })

describe("History", () => {
  it("keeps at least the last minEvents, and younger events beyond them", () => {
    const history = new History({ minEvents: 3, minAgeMs: 1000, maxEvents: 100 })
    for (let seq = 1; seq <= 5; seq++) history.append(entry(seq, 0))
    // all five are younger than minAge
    expect(history.size).toBe(5)
    history.evict(1000)
    expect(history.size).toBe(3)
    expect(history.oldestSeq).toBe(3)
  })

  it("never holds more than maxEvents", () => {
    const history = new History({ minEvents: 2, minAgeMs: 60_000, maxEvents: 10 })
    for (let seq = 1; seq <= 50; seq++) history.append(entry(seq, 0))
    expect(history.size).toBe(10)
    expect(history.oldestSeq).toBe(41)
  })

  it("returns ranges by seq, exclusive of the start", () => {
    const history = new History({ minEvents: 5, minAgeMs: 0, maxEvents: 5 })
    for (let seq = 1; seq <= 8; seq++) history.append(entry(seq, 0))
    expect(history.range(0).map((e) => e.seq)).toEqual([4, 5, 6, 7, 8])
    expect(history.range(5).map((e) => e.seq)).toEqual([6, 7, 8])
    expect(history.range(5, 6).map((e) => e.seq)).toEqual([6])
    expect(history.range(8)).toEqual([])
  })

  it("stays correct across compaction", () => {
    const history = new History({ minEvents: 10, minAgeMs: 0, maxEvents: 10 })
    for (let seq = 1; seq <= 5000; seq++) history.append(entry(seq, seq))
    expect(history.size).toBe(10)
    expect(history.range(4995).map((e) => e.seq)).toEqual([4996, 4997, 4998, 4999, 5000])
  })
})

describe("History byte budget", () => {
  const sized = (seq: number, bytes: number, at = 0) => ({ seq, at, frame: "x".repeat(bytes) })

  it("holds at most maxBytes of frames, over the minimum count and age", () => {
    const history = new History({ minEvents: 1000, minAgeMs: 60_000, maxEvents: 10_000, maxBytes: 350 })
    for (let seq = 1; seq <= 10; seq++) history.append(sized(seq, 100))
    expect(history.size).toBe(3)
    expect(history.bytes).toBe(300)
    expect(history.range(0).map((e) => e.seq)).toEqual([8, 9, 10])
  })

  it("counts UTF-8 bytes, not characters", () => {
    const history = new History({ minEvents: 1000, minAgeMs: 60_000, maxEvents: 10_000, maxBytes: 10 })
    history.append({ seq: 1, at: 0, frame: "ééé" })
    expect(history.bytes).toBe(6)
    history.append({ seq: 2, at: 0, frame: "éé" })
    // 6 + 4 bytes fit exactly; one more byte drops the oldest
    expect(history.size).toBe(2)
    history.append({ seq: 3, at: 0, frame: "a" })
    expect(history.range(0).map((e) => e.seq)).toEqual([2, 3])
    expect(history.bytes).toBe(5)
  })

  it("does not hold a frame larger than the whole budget", () => {
    const history = new History({ minEvents: 10, minAgeMs: 60_000, maxEvents: 100, maxBytes: 50 })
    history.append(sized(1, 20))
    history.append(sized(2, 51))
    expect(history.size).toBe(0)
    expect(history.oldestSeq).toBeUndefined()
    expect(history.bytes).toBe(0)
    history.append(sized(3, 20))
    expect(history.range(0).map((e) => e.seq)).toEqual([3])
  })

  it("stays exact over many appends and compactions", () => {
    const history = new History({ minEvents: 1000, minAgeMs: 60_000, maxEvents: 10_000, maxBytes: 1000 })
    for (let seq = 1; seq <= 50_000; seq++) history.append(sized(seq, 1 + (seq % 7)))
    const held = history.range(0)
    expect(held.at(-1)?.seq).toBe(50_000)
    expect(held.map((e) => e.seq)).toEqual(held.map((_, i) => 50_000 - held.length + 1 + i))
    expect(history.bytes).toBe(held.reduce((sum, e) => sum + e.frame.length, 0))
    expect(history.bytes).toBeLessThanOrEqual(1000)
    // the next older event would not have fit
    expect(history.bytes + 1 + ((held[0]!.seq - 1) % 7)).toBeGreaterThan(1000)
  })
})

describe("UserStream retention (TestClock)", () => {
  it.effect("keeps events for the minimum age, then only the last minEvents", () =>
    Effect.gen(function*() {
      const stream = new UserStream({ minEvents: 2, minAgeMs: 10 * 60_000, maxEvents: 100 })
      for (let i = 0; i < 5; i++) yield* stream.publish({ type: "agent_thinking", run_id: "r", payload: { text: `${i}` } })
      yield* TestClock.adjust("9 minutes")
      expect(stream.history.size).toBe(5)
      yield* TestClock.adjust("2 minutes")
      yield* stream.publish({ type: "agent_thinking", run_id: "r", payload: { text: "late" } })
      // the five old ones are past ten minutes: only the last two events remain
      expect(stream.history.size).toBe(2)
      expect(stream.history.oldestSeq).toBe(5)
      expect(stream.lastSeq).toBe(6)
    }))
})
