import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { PassThrough } from "node:stream"
import * as NodeBody from "../../src/agent/openai/NodeBody.js"

/** A reader that records what it is handed, and is done once it read `stopAt`. */
const recorder = (stopAt?: string) => {
  const seen: Array<string> = []
  let done = false
  const reader: NodeBody.BufferReader<never, never> = {
    read: (buffers) => {
      const text = buffers.map((b) => Buffer.from(b).toString()).join("")
      if (text === "") return undefined
      if (stopAt !== undefined && text.includes(stopAt)) done = true
      return Effect.sync(() => void seen.push(text))
    },
    end: () => Effect.sync(() => void seen.push("<end>")),
    get done() {
      return done
    }
  }
  return { seen, reader }
}

describe("NodeBody.forEachBuffer", () => {
  it.effect("hands over the reads in order, then the end, and lets go of the body", () =>
    Effect.gen(function*() {
      const body = new PassThrough()
      const { reader, seen } = recorder()
      const fiber = yield* Effect.fork(NodeBody.forEachBuffer(body, String, reader))
      body.write("a")
      yield* Effect.yieldNow()
      body.end("b")
      yield* Fiber.join(fiber)
      expect(seen.join("")).toBe("ab<end>")
      expect(body.listenerCount("readable") + body.listenerCount("end") + body.listenerCount("error") + body.listenerCount("close")).toBe(0)
    }))

  it.effect("stops once the reader is done, and destroys the body it did not read to its end", () =>
    Effect.gen(function*() {
      const body = new PassThrough()
      const { reader, seen } = recorder("stop")
      body.write("stop")
      yield* NodeBody.forEachBuffer(body, String, reader)
      expect(seen).toEqual(["stop"])
      expect(body.destroyed).toBe(true)
    }))

  it.effect("fails with onError's error when the body fails", () =>
    Effect.gen(function*() {
      const body = new PassThrough()
      const { reader } = recorder()
      const fiber = yield* Effect.fork(NodeBody.forEachBuffer(body, (cause) => ({ failed: cause }), reader))
      yield* Effect.yieldNow()
      body.destroy(new Error("cut"))
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error).toMatchObject({ failed: { message: "cut" } })
    }))

  it.effect("a body that failed or was closed before the reader came fails it at once (no event of it will come)", () =>
    Effect.gen(function*() {
      const errored = new PassThrough()
      errored.on("error", () => undefined)
      errored.destroy(new Error("cut early"))
      yield* Effect.promise(() => new Promise((resolve) => errored.once("close", resolve)))
      const first = yield* Effect.flip(NodeBody.forEachBuffer(errored, (cause) => ({ failed: cause }), recorder().reader))
      expect(first).toMatchObject({ failed: { message: "cut early" } })

      const closed = new PassThrough()
      closed.destroy()
      yield* Effect.promise(() => new Promise((resolve) => closed.once("close", resolve)))
      const second = yield* Effect.flip(NodeBody.forEachBuffer(closed, (cause) => ({ failed: cause }), recorder().reader))
      expect(second).toMatchObject({ failed: { message: "the body was closed before its end" } })
    }))

  it.effect("a body closed without an error while the reader waits fails it", () =>
    Effect.gen(function*() {
      const body = new PassThrough()
      const fiber = yield* Effect.fork(NodeBody.forEachBuffer(body, (cause) => ({ failed: cause }), recorder().reader))
      yield* Effect.yieldNow()
      body.destroy()
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error).toMatchObject({ failed: { message: "the body was closed before its end" } })
    }))

  it.effect("interrupted, it destroys the body", () =>
    Effect.gen(function*() {
      const body = new PassThrough()
      const { reader } = recorder()
      const fiber = yield* Effect.fork(NodeBody.forEachBuffer(body, String, reader))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiber)
      expect(body.destroyed).toBe(true)
    }))
})
