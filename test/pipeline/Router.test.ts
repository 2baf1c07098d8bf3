import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Schema } from "effect"
import * as Handler from "../../src/handlers/Handler.js"
import * as Router from "../../src/pipeline/Router.js"

const echo = (type: string, aliases: ReadonlyArray<string> = []) =>
  Handler.make(type, { payload: Schema.Struct({}), success: Schema.Struct({}), aliases, handle: () => Effect.succeed({}) })

const build = (handlers: ReadonlyArray<Handler.Handler<never>>) =>
  Effect.scoped(Layer.build(Router.layer(handlers))).pipe(Effect.exit)

describe("Router", () => {
  it.effect("routes each claimed type and alias to its handler", () =>
    Effect.gen(function*() {
      const a = echo("a", ["a2"])
      const b = echo("b")
      const router = yield* Router.Router.pipe(Effect.provide(Router.layer([a, b])))
      expect(router.lookup("a")).toBe(a)
      expect(router.lookup("a2")).toBe(a)
      expect(router.lookup("b")).toBe(b)
      expect(router.lookup("c")).toBeUndefined()
      expect([...router.types].sort()).toEqual(["a", "a2", "b"])
    }))

  it.effect("fails the layer build when two handlers claim one type, naming both", () =>
    Effect.gen(function*() {
      const exit = yield* build([echo("chat"), echo("chat")])
      expect(exit).toStrictEqual(Exit.fail(new Router.DuplicateHandlerError({ type: "chat", first: "chat", second: "chat" })))
    }))

  it.effect("fails the layer build when an alias collides with another handler's type", () =>
    Effect.gen(function*() {
      const exit = yield* build([echo("start_agent", ["agent_request"]), echo("agent_request")])
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        expect(error).toBeInstanceOf(Router.DuplicateHandlerError)
        expect((error as Router.DuplicateHandlerError).message).toBe(
          "two handlers claim the message type \"agent_request\": \"start_agent\" and \"agent_request\""
        )
      }
    }))

  it.effect("decodes the payload with the handler's schema, reporting the path", () =>
    Effect.gen(function*() {
      const handler = Handler.make("shout", {
        payload: Schema.Struct({ text: Schema.String }),
        success: Schema.Struct({ text: Schema.String }),
        handle: ({ text }) => Effect.succeed({ text: text.toUpperCase() })
      })
      const ok = yield* (handler.run({ text: "hi" }) as unknown as Effect.Effect<object, unknown>)
      expect(ok).toEqual({ text: "HI" })
      const bad = yield* Effect.flip(handler.run({ text: 1 }) as unknown as Effect.Effect<object, { code: string; details: unknown }>)
      expect(bad.code).toBe("INVALID_MESSAGE")
      expect(bad.details).toEqual({ path: ["payload", "text"], expected: "a string" })
    }))
})
