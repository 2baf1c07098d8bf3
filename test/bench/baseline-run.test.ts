import { describe, expect, it } from "vitest"
import { emulatedRun } from "../../scripts/bench/baseline-run.js"

describe("baseline emulated run", () => {
  it("has the shape of the embedded agent's 8 events for \"what is 17 * 23\"", () => {
    expect(emulatedRun("r-1", 8).map((e) => e.type)).toEqual([
      "agent_started",
      "agent_thinking",
      "tool_executing",
      "tool_completed",
      "agent_message_delta",
      "agent_message_delta",
      "agent_message_delta",
      "agent_completed"
    ])
  })

  it("always starts and completes, whatever the count", () => {
    for (const count of [0, 1, 2, 3, 12]) {
      const types = emulatedRun("r", count).map((e) => e.type)
      expect(types.length).toBe(Math.max(2, count))
      expect(types[0]).toBe("agent_started")
      expect(types.at(-1)).toBe("agent_completed")
    }
  })
})
