import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { decodeText } from "../../src/protocol/ClientFrame.js"
import { firstTooDeep, topLevelAt } from "../../src/protocol/JsonDepth.js"

const nested = (depth: number): string => "[".repeat(depth) + "]".repeat(depth)

describe("JsonDepth", () => {
  it("finds the bracket that opens one level too many, and nothing in a shallow enough text", () => {
    expect(firstTooDeep(`{"a":${nested(3)}}`, 4)).toBe(-1)
    expect(firstTooDeep(`{"a":${nested(4)}}`, 4)).toBe(8)
    expect(firstTooDeep(`{"a":{"b":{"c":{"d":{}}}}}`, 4)).toBe(20)
  })

  it("does not count brackets inside strings, escaped quotes included", () => {
    expect(firstTooDeep(`{"a":"[[[[[[[[[[","b":"\\"[[[[[[[[[[\\\\"}`, 2)).toBe(-1)
    expect(firstTooDeep(`{"a":"\\\\",${"\"x\":[[[[[[".slice(0)}]]]]]]}`, 3)).toBe(7 + 3 + 4 + 2)
  })

  it("leaves malformed text to JSON.parse", () => {
    expect(firstTooDeep(`{"a":"${"[".repeat(100)}`, 4)).toBe(-1)
  })

  it("reads the id and the member that was too deep from the top level", () => {
    const text = `{"type":"x","payload":{"p":${nested(10)}},"id":"late"}`
    expect(topLevelAt(text, firstTooDeep(text, 4))).toEqual({ id: "late", key: "payload" })
    const numericId = `{"id":5,"payload":${nested(10)}}`
    expect(topLevelAt(numericId, firstTooDeep(numericId, 4))).toEqual({ id: undefined, key: "payload" })
    const array = nested(10)
    expect(topLevelAt(array, firstTooDeep(array, 4))).toEqual({ id: undefined, key: undefined })
  })

  it("decodeText rejects a too-deep frame as INVALID_MESSAGE before parsing it, with its valid id", () => {
    const deep = decodeText(`{"type":"x","id":"d1","payload":{"p":${nested(100_000)}}}`, 64)
    expect(Either.isLeft(deep) && deep.left).toMatchObject({
      id: "d1",
      error: { code: "INVALID_MESSAGE", details: { path: ["payload"], expected: "at most 64 levels of nested arrays and objects" } }
    })
    const badId = decodeText(`{"type":"x","id":"","payload":${nested(100)}}`, 64)
    expect(Either.isLeft(badId) && badId.left.id).toBeUndefined()
    expect(Either.isRight(decodeText(`{"type":"x","payload":{"p":${nested(62)}}}`, 64))).toBe(true)
  })
})
