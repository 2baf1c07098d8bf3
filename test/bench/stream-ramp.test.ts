import { describe, expect, it } from "vitest"
import { rampLevels } from "../../scripts/bench/scenarios/stream-ramp.js"

describe("rampLevels", () => {
  it("grows by the factor, rounded to two significant digits, up to the max", () => {
    expect(rampLevels(100, 1.25, 400)).toEqual([100, 130, 160, 200, 250, 310, 390])
    expect(rampLevels(20, 1.5, 100)).toEqual([20, 30, 45, 68, 100])
  })

  it("always moves up, even from 1 with a small factor", () => {
    expect(rampLevels(1, 1.1, 5)).toEqual([1, 2, 3, 4, 5])
  })
})
