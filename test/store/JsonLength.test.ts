import { describe, expect, it } from "@effect/vitest"
import { jsonLength } from "../../src/store/JsonLength.js"

describe("jsonLength", () => {
  it("is the JSON length of plain results of strings, arrays and nested objects", () => {
    for (const value of [{}, { run_id: "r-1" }, { results: [{ id: "a", status: "ok", result: {} }] }, ["x", ["y"]]]) {
      expect(jsonLength(value, 1 << 20)).toBe(JSON.stringify(value).length)
    }
  })

  it("stops at the cap", () => {
    expect(jsonLength({ pad: "x".repeat(1000) }, 100)).toBeUndefined()
    expect(jsonLength({ pad: "x".repeat(90) }, 100)).toBeDefined()
  })

  it("ends on a cyclic or very deep value without overflowing the stack", () => {
    const cyclic: Record<string, unknown> = {}
    cyclic["self"] = cyclic
    expect(jsonLength(cyclic, 10_000)).toBeUndefined()
    let deep: unknown = {}
    for (let i = 0; i < 200_000; i++) deep = { d: deep }
    expect(jsonLength(deep, 1 << 30)).toBeGreaterThan(200_000)
  })
})
