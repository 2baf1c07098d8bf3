import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, FiberRef } from "effect"
import { CurrentFrame, currentFrameSlot, FrameSlot, FrameTicket, withFrame } from "../../src/handlers/FrameContext.js"

describe("CurrentFrame", () => {
  it.effect("is the ticket of no frame outside any frame", () =>
    Effect.map(CurrentFrame, (frame) => expect(frame).toBe(FrameTicket.none)))

  it.effect("is the ticket given by withFrame", () => {
    const ticket = new FrameTicket("f1")
    return Effect.map(withFrame(ticket)(CurrentFrame), (frame) => expect(frame).toBe(ticket))
  })

  it.effect("follows a live slot from frame to frame; a forked fiber keeps the frame it was forked in", () =>
    Effect.gen(function*() {
      const slot = FrameSlot.live()
      const first = new FrameTicket("first")
      const second = new FrameTicket("second")
      const later = yield* Deferred.make<void>()
      const seen = yield* Effect.locally(
        Effect.gen(function*() {
          slot.ticket = first
          const forked = yield* Effect.fork(Effect.zipRight(Deferred.await(later), CurrentFrame))
          slot.ticket = second
          const current = yield* CurrentFrame
          yield* Deferred.succeed(later, undefined)
          return { current, forked: yield* Fiber.join(forked) }
        }),
        currentFrameSlot,
        slot
      )
      expect(seen.current).toBe(second)
      expect(seen.forked).toBe(first)
    }))

  it.effect("stays the parent's frame when a child that moved to another frame is joined", () =>
    Effect.gen(function*() {
      const parent = new FrameTicket("parent")
      const moveChild = FiberRef.set(currentFrameSlot, FrameSlot.fixed(new FrameTicket("child")))
      const frame = yield* withFrame(parent)(
        Effect.gen(function*() {
          yield* Fiber.join(yield* Effect.fork(moveChild))
          return yield* CurrentFrame
        })
      )
      expect(frame).toBe(parent)
    }))
})
