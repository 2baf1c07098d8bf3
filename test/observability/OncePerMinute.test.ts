import { describe, expect, it } from "vitest"
import { OncePerMinute } from "../../src/observability/OncePerMinute.js"

describe("OncePerMinute", () => {
  it("says a key at most once a minute; keys are apart", () => {
    const log = new OncePerMinute()
    expect(log.due("stages", 0)).toBe(true)
    expect(log.due("stages", 59_999)).toBe(false)
    expect(log.due("nodes", 1)).toBe(true)
    expect(log.due("stages", 60_000)).toBe(true)
    expect(log.due("stages", 60_001)).toBe(false)
  })
})
