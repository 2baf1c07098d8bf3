import type { Clock } from "effect"
import { describe, expect, it } from "vitest"
import { make } from "../../src/handlers/ClientErrorLog.js"

// a clock the test moves by hand: the budget only reads the time
const manualClock = () => {
  let now = 0
  const clock = { unsafeCurrentTimeMillis: () => now } as unknown as Clock.Clock
  return { clock, advance: (ms: number) => (now += ms) }
}

describe("the budget of logged client error reports", () => {
  it("gives each user a share, so one user's flood leaves the others' reports logged", () => {
    const { advance, clock } = manualClock()
    const budget = make(5, clock)
    const flood = Array.from({ length: 100 }, () => budget.admit("flooder"))
    // the flooder's share: a burst of 2, then nothing until it refills
    expect(flood.filter((admitted) => admitted !== undefined)).toHaveLength(2)
    // another user is logged at once, and is told how many reports were not logged before it
    expect(budget.admit("someone-else")).toBe(98)
    advance(1000)
    expect(budget.admit("flooder")).toBe(0)
  })

  it("still bounds the whole process: many users together get at most its budget", () => {
    const { clock } = manualClock()
    const budget = make(5, clock)
    const admitted = Array.from({ length: 100 }, (_, i) => budget.admit(`user-${i}`)).filter((a) => a !== undefined)
    expect(admitted).toHaveLength(10)
  })
})
