import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import type { ClientStopped } from "../../src/client/ClientError.js"
import { type Pending, PendingRequests } from "../../src/client/Pending.js"
import type { FrameError } from "../../src/protocol/FrameError.js"

const entry = (id: string) =>
  Effect.map(Deferred.make<unknown, FrameError | ClientStopped>(), (deferred): Pending => ({ id, text: id, deferred, sentOn: 0 }))

describe("PendingRequests: the requests awaiting an answer", () => {
  it.effect("a request past its deadline while never connected is held nowhere, and never written", () =>
    Effect.gen(function*() {
      const pending = yield* PendingRequests.make
      for (let i = 0; i < 1_000; i++) {
        const timedOut = yield* entry(`old-${i}`)
        pending.add(timedOut)
        pending.remove(timedOut)
      }
      expect(pending.size).toBe(0)
      const writer = yield* Effect.fork(pending.next(1))
      pending.add(yield* entry("new"))
      expect((yield* Fiber.join(writer)).id).toBe("new")
    }))

  it.effect("a connection writes each request once, in the order they were made", () =>
    Effect.gen(function*() {
      const pending = yield* PendingRequests.make
      for (const id of ["a", "b", "c"]) pending.add(yield* entry(id))
      expect(pending.unsentOn(1).map((request) => request.id)).toEqual(["a", "b", "c"])
      pending.add(yield* entry("d"))
      expect((yield* pending.next(1)).id).toBe("d")
      // the next connection writes every one still unanswered
      expect(pending.unsentOn(2).map((request) => request.id)).toEqual(["a", "b", "c", "d"])
    }))
})
