import { describe, expect, it } from "vitest"
import { cpuMicrosPerMessage, cpuPercent, median, perSecond, ratio } from "../../scripts/bench/stats.js"

describe("median", () => {
  it("takes the middle value of an odd count", () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([10])).toBe(10)
  })

  it("averages the middle two of an even count", () => {
    expect(median([4, 1, 3, 2])).toBe(2.5)
  })

  it("ignores failed repetitions and non-finite values; null when none is left", () => {
    expect(median([null, 5, undefined, Number.NaN, 7, null])).toBe(6)
    expect(median([])).toBeNull()
    expect(median([null, undefined])).toBeNull()
  })

  it("does not reorder its input", () => {
    const values = [3, 1, 2]
    median(values)
    expect(values).toEqual([3, 1, 2])
  })
})

describe("ratio", () => {
  it("is service / baseline", () => {
    expect(ratio(30, 10)).toBe(3)
    expect(ratio(5, 10)).toBe(0.5)
  })

  it("is null for a missing figure or a zero baseline", () => {
    expect(ratio(null, 10)).toBeNull()
    expect(ratio(10, null)).toBeNull()
    expect(ratio(0, 0)).toBeNull()
    expect(ratio(3, 0)).toBeNull()
  })
})

describe("cpuMicrosPerMessage", () => {
  it("converts clock ticks to µs per message", () => {
    // 250 ticks at 100 Hz = 2.5 s of CPU over 100,000 messages = 25 µs each
    expect(cpuMicrosPerMessage(250, 100, 100_000)).toBeCloseTo(25, 9)
    expect(cpuMicrosPerMessage(1, 1000, 1)).toBeCloseTo(1000, 9)
  })

  it("is null without messages", () => {
    expect(cpuMicrosPerMessage(10, 100, 0)).toBeNull()
  })
})

describe("cpuPercent / perSecond", () => {
  it("is the share of one core over the window", () => {
    expect(cpuPercent(50, 100, 1)).toBeCloseTo(50, 9)
    expect(cpuPercent(300, 100, 2)).toBeCloseTo(150, 9)
    expect(cpuPercent(10, 100, 0)).toBeNull()
  })

  it("is a count per second, null for an empty window", () => {
    expect(perSecond(500, 2)).toBe(250)
    expect(perSecond(500, 0)).toBeNull()
  })
})
