import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { AgentEvent } from "../../src/agent/Agent.js"
import * as BuiltinAgent from "../../src/agent/BuiltinAgent.js"
import { extractExpression } from "../../src/agent/tools/Calculator.js"
import { extractTimezone, mentionsTime } from "../../src/agent/tools/Clock.js"
import { worstCaseTexts } from "../support/WorstCaseText.js"

// Every parser of chat text must do work linear in the text (PROTOCOL §10). These are the
// shapes that made the old parsers quadratic (slice loops, per-candidate Intl lookups), at
// the longest `user_message` (32,000 characters). Linear code reads all of them in a few
// milliseconds; quadratic code took seconds for EACH, so the generous 1 s ceiling on the whole
// set cannot be met by it, even on an idle machine, and is always met by linear code, even
// on a loaded one.
describe("the built-in agent on worst-case chat text", () => {
  it("has at least 20 inputs of the longest user_message", () => {
    expect(worstCaseTexts.length).toBeGreaterThanOrEqual(20)
    for (const text of worstCaseTexts) expect(text.length).toBeLessThanOrEqual(32_000)
    expect(worstCaseTexts.filter((text) => text.length >= 31_000).length).toBe(worstCaseTexts.length)
  })

  it("extracts expressions, time questions and timezones from all of them within 1 s", () => {
    const started = performance.now()
    for (const text of worstCaseTexts) {
      extractExpression(text)
      mentionsTime(text)
      extractTimezone(text)
    }
    expect(performance.now() - started).toBeLessThan(1_000)
  }, 120_000)

  it.effect("plays a whole run for each of them within 1 s, with events of bounded size", () =>
    Effect.gen(function*() {
      const started = performance.now()
      let longest = 0
      for (const text of worstCaseTexts) {
        const request = { runId: "r-worst", userId: "u1", text, agent: undefined, threadId: undefined, params: {} }
        yield* BuiltinAgent.runForEach(request, 0, (event: AgentEvent) =>
          Effect.sync(() => {
            longest = Math.max(longest, JSON.stringify(event).length)
          }))
      }
      expect(performance.now() - started).toBeLessThan(1_000)
      // no event copies the user's text: a preview and an expression of at most 500 characters
      expect(longest).toBeLessThan(2_000)
    }), 120_000)
})
