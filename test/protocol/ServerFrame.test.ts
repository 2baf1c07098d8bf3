import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck, Schema } from "effect"
import { Envelope } from "../../src/protocol/ServerEnvelope.js"
import * as ServerFrame from "../../src/protocol/ServerFrame.js"

const decodeFrame = Schema.decodeUnknownEither(Envelope)

describe("ServerFrame", () => {
  it("writes an ack as the JSON of its frame object, whatever the result", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.string({ minLength: 1, maxLength: 128 }),
        FastCheck.constantFrom("ok" as const, "duplicate" as const),
        FastCheck.oneof(
          FastCheck.constant(undefined),
          FastCheck.constant(null),
          FastCheck.constant({}),
          FastCheck.object(),
          FastCheck.jsonValue()
        ),
        (id, status, result) => {
          const text = ServerFrame.ack(id, status, result)
          const frame = JSON.parse(text)
          expect(frame).toEqual({
            type: "ack",
            id,
            payload: { status, result: JSON.parse(JSON.stringify(result ?? {})) },
            ts: frame.ts
          })
          expect(Object.keys(frame)).toEqual(["type", "id", "payload", "ts"])
          expect(Either.isRight(decodeFrame(frame))).toBe(true)
        }
      ),
      { numRuns: 1000 }
    )
  })

  it("stamps frames with the current time", () => {
    const before = Date.now()
    const ts = Date.parse(JSON.parse(ServerFrame.pong("p")).ts)
    expect(ts).toBeGreaterThanOrEqual(before)
    expect(ts).toBeLessThanOrEqual(Date.now())
  })
})
