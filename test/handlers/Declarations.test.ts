import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Schema } from "effect"
import * as Handler from "../../src/handlers/Handler.js"
import { BuiltinHandlers } from "../../src/handlers/index.js"
import { ClientRequests } from "../../src/protocol/ClientRequests.js"
import { isEncodingFree } from "../../src/protocol/Encoder.js"

describe("handler declarations (Handler.make, like Rpc.make)", () => {
  it("every built-in handler declares its protocol request: payload, success, errors and reply", () => {
    const claimed = new Set<string>()
    for (const handler of BuiltinHandlers) {
      for (const type of [handler.type, ...handler.aliases]) {
        claimed.add(type)
        const request = ClientRequests[type as keyof typeof ClientRequests]
        expect(request, type).toBeDefined()
        expect(handler.payload).toBe(request.payload)
        expect(handler.success).toBe(request.success)
        expect(handler.errors).toEqual(request.errors)
        expect(handler.reply).toBe(request.reply)
      }
    }
    expect([...claimed].sort()).toEqual(Object.keys(ClientRequests).sort())
  })

  it("the protocol's results go out as they are: none of their schemas transforms", () => {
    for (const request of Object.values(ClientRequests)) expect(isEncodingFree(request.success.ast)).toBe(true)
  })

  it.effect("a success schema that transforms encodes the result; one that does not encode is a defect", () =>
    Effect.gen(function*() {
      const at = new Date("2026-12-05T10:00:00.000Z")
      const when = Handler.make("when", {
        payload: Schema.Struct({ broken: Schema.optional(Schema.Boolean) }),
        success: Schema.Struct({ at: Schema.Date }),
        handle: ({ broken }) => Effect.succeed({ at: broken === true ? new Date(Number.NaN) : at })
      })
      expect(isEncodingFree(when.success.ast)).toBe(false)
      expect(yield* when.run({})).toEqual({ at: "2026-12-05T10:00:00.000Z" })
      const exit = yield* Effect.exit(when.run({ broken: true }))
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
    }))
})
