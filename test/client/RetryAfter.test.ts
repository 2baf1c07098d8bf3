import { describe, expect, it } from "vitest"
import { MAX_RETRY_AFTER_MS, retryAfterDelay } from "../../src/client/RetryAfter.js"

describe("a server's Retry-After, as the client follows it", () => {
  it("is jittered up to +20%, so that clients sent away together do not come back together", () => {
    expect(retryAfterDelay(10_000, 0)).toBe(10_000)
    expect(retryAfterDelay(10_000, 0.5)).toBe(11_000)
  })

  it("is capped at 5 min: a huge value does not leave the client stuck", () => {
    expect(retryAfterDelay(99_999_999_000, 0.9)).toBe(MAX_RETRY_AFTER_MS)
    expect(MAX_RETRY_AFTER_MS).toBe(300_000)
  })

  it("0, a negative or a non-number asks for nothing beyond the schedule's own delay", () => {
    expect(retryAfterDelay(0, 0.9)).toBe(0)
    expect(retryAfterDelay(-5, 0.9)).toBe(0)
    expect(retryAfterDelay(Number.NaN, 0.9)).toBe(0)
  })
})
