import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck, Schema } from "effect"
import { ClientFrame, decodeText, decodeValue, wellFormedEnvelope } from "../../src/protocol/ClientFrame.js"

const rejected = (text: string) => {
  const result = decodeText(text)
  if (Either.isRight(result)) throw new Error(`expected a rejection of ${text}`)
  return result.left
}

const isObject = (u: unknown): u is object => typeof u === "object" && u !== null

describe("ClientFrame", () => {
  it("decodes a frame, defaulting the payload and dropping unknown fields", () => {
    const frame = decodeText(JSON.stringify({ type: "typing", id: "a", user_id: "mallory", extra: 1 }))
    expect(frame).toEqual(Either.right({ type: "typing", id: "a", payload: {} }))
  })

  it("maps text that is not JSON to INVALID_JSON", () => {
    expect(rejected("{nope").error.code).toBe("INVALID_JSON")
    expect(rejected("").error.code).toBe("INVALID_JSON")
  })

  it("maps JSON that is not an object to INVALID_MESSAGE", () => {
    for (const text of ["[1]", "42", "null", "\"s\"", "true"]) {
      const { error, id } = rejected(text)
      expect(error.code).toBe("INVALID_MESSAGE")
      expect(error.details).toEqual({ path: [], expected: "an object" })
      expect(id).toBeUndefined()
    }
  })

  it("keeps a valid id on the error of an otherwise bad frame", () => {
    const missingType = rejected(JSON.stringify({ id: "x1", payload: {} }))
    expect(missingType.id).toBe("x1")
    expect(missingType.error.details).toMatchObject({ path: ["type"] })
    const badPayload = rejected(JSON.stringify({ id: "x2", type: "typing", payload: [1] }))
    expect(badPayload.id).toBe("x2")
    expect(badPayload.error.details).toEqual({ path: ["payload"], expected: "an object" })
  })

  it("rejects an id that is not a string of 1-128 characters, without echoing it", () => {
    for (const id of ["", "x".repeat(129), 7, null, { a: 1 }]) {
      const { error, id: echoed } = rejected(JSON.stringify({ type: "ping", id }))
      expect(error.code).toBe("INVALID_MESSAGE")
      expect(error.details).toMatchObject({ path: ["id"], expected: "a string of 1-128 characters" })
      expect(echoed).toBeUndefined()
    }
  })

  it("never throws, whatever JSON value it is given", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.jsonValue(), (value) => {
        const result = decodeValue(value)
        return Either.isRight(result) || typeof result.left.error.code === "string"
      }),
      { numRuns: 2000 }
    )
    FastCheck.assert(
      FastCheck.property(FastCheck.string(), (text) => {
        const result = decodeText(text)
        return Either.isRight(result) || typeof result.left.error.message === "string"
      }),
      { numRuns: 2000 }
    )
  })

  it("decodes objects with arbitrary extra fields as long as type is a string", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.dictionary(FastCheck.string(), FastCheck.jsonValue()),
        FastCheck.string({ minLength: 1 }),
        (extra, type) => {
          const { id: _id, payload: _payload, type: _type, ...rest } = extra
          const result = decodeValue({ ...rest, type })
          return Either.isRight(result) && result.right.type === type
        }
      ),
      { numRuns: 500 }
    )
  })

  it("accepts by hand exactly what the envelope schema decodes, to the same frame", () => {
    const decodeSchema = Schema.decodeUnknownEither(ClientFrame)
    // values around every boundary of the envelope: lengths 0/1/128/129, wrong kinds, absent
    const field = FastCheck.oneof(
      FastCheck.constant(undefined),
      FastCheck.string({ minLength: 0, maxLength: 3 }),
      FastCheck.string({ minLength: 127, maxLength: 129 }),
      FastCheck.jsonValue({ maxDepth: 1 })
    )
    const payload = FastCheck.oneof(
      FastCheck.constant(undefined),
      FastCheck.dictionary(FastCheck.string(), FastCheck.jsonValue({ maxDepth: 2 })),
      FastCheck.jsonValue({ maxDepth: 2 })
    )
    // a payload key "__proto__" is the one known difference, on purpose: see the next test
    const envelope = FastCheck.record(
      { id: field, type: field, payload, extra: FastCheck.jsonValue({ maxDepth: 1 }) },
      { requiredKeys: [] }
    ).filter(({ payload }) => !(isObject(payload) && Object.hasOwn(payload, "__proto__")))
    let accepted = 0
    FastCheck.assert(
      FastCheck.property(envelope, (value) => {
        const fast = wellFormedEnvelope(value)
        const schema = decodeSchema(value)
        if (fast === undefined) return true
        accepted++
        expect(schema).toEqual(Either.right(fast))
        return true
      }),
      { numRuns: 5000 }
    )
    // the property is vacuous unless the hand check accepted a good share of them
    expect(accepted).toBeGreaterThan(100)
  })

  it("keeps a payload key named __proto__ as plain data, never as the payload's prototype", () => {
    // the schema's Record decode would assign it, replacing the copy's prototype
    const frame = decodeText(`{"type":"t","payload":{"__proto__":{"polluted":true},"a":1}}`)
    if (Either.isLeft(frame)) throw new Error("expected a frame")
    const payload = frame.right.payload
    expect(Object.getPrototypeOf(payload)).toBe(Object.prototype)
    expect(Object.hasOwn(payload, "__proto__")).toBe(true)
    expect(Reflect.get(payload, "polluted")).toBeUndefined()
    expect(payload["a"]).toBe(1)
  })
})
