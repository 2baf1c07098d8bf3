import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import { FifoSlots } from "../../src/store/FifoSlots.js"

// one slot, held (by `holder`) until `gate` opens
const oneSlotHeld = Effect.gen(function*() {
  const slots = new FifoSlots(1)
  const gate = yield* Deferred.make<void>()
  const holder = yield* Effect.fork(slots.withSlot(Deferred.await(gate)))
  yield* Effect.yieldNow()
  return { slots, gate, holder }
})

describe("FifoSlots", () => {
  it.effect("at most `size` run at once", () =>
    Effect.gen(function*() {
      const slots = new FifoSlots(2)
      let running = 0
      let most = 0
      const gates = yield* Effect.forEach([0, 1, 2, 3, 4], () => Deferred.make<void>())
      const fibers = yield* Effect.forEach(gates, (gate) =>
        Effect.fork(slots.withSlot(Effect.acquireUseRelease(
          Effect.sync(() => most = Math.max(most, ++running)),
          () => Deferred.await(gate),
          () => Effect.sync(() => running--)
        ))))
      yield* Effect.yieldNow()
      expect(running).toBe(2)
      for (const gate of gates) {
        yield* Deferred.succeed(gate, undefined)
        yield* Effect.yieldNow()
      }
      yield* Effect.forEach(fibers, Fiber.join)
      expect(most).toBe(2)
    }))

  it.effect("a slot given back goes to the longest waiter, not to one that asks again at once", () =>
    Effect.gen(function*() {
      const slots = new FifoSlots(1)
      const order: Array<string> = []
      const gate = yield* Deferred.make<void>()
      // `busy` holds the slot until the gate opens, then asks for it again at once, three times over
      const busy = yield* Effect.fork(Effect.forEach([0, 1, 2], (i) =>
        slots.withSlot(Effect.zipRight(i === 0 ? Deferred.await(gate) : Effect.void, Effect.sync(() => order.push(`busy${i}`)))), { discard: true }))
      yield* Effect.yieldNow()
      const waiters = yield* Effect.forEach([0, 1], (i) =>
        Effect.fork(slots.withSlot(Effect.sync(() => order.push(`wait${i}`)))))
      yield* Effect.yieldNow()
      expect(order).toEqual([])
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(busy)
      yield* Effect.forEach(waiters, Fiber.join)
      expect(order).toEqual(["busy0", "wait0", "wait1", "busy1", "busy2"])
    }))

  it.effect("a waiter interrupted leaves the line; the slot still goes round", () =>
    Effect.gen(function*() {
      const { gate, holder, slots } = yield* oneSlotHeld
      const quitter = yield* Effect.fork(slots.withSlot(Effect.void))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(quitter)
      const next = yield* Effect.fork(slots.withSlot(Effect.succeed("ran")))
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      expect(yield* Fiber.join(next)).toBe("ran")
      // and the slot is free again afterwards
      expect(yield* slots.withSlot(Effect.succeed(1))).toBe(1)
    }))

  it.effect("a waiter interrupted just as its turn came gives the slot on", () =>
    Effect.gen(function*() {
      const { gate, holder, slots } = yield* oneSlotHeld
      const first = yield* Effect.fork(slots.withSlot(Effect.never))
      const second = yield* Effect.fork(slots.withSlot(Effect.succeed("second")))
      yield* Effect.yieldNow()
      // the holder ends: the slot is handed to `first`, which is interrupted in the same breath, before it ran
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.interrupt(first)
      yield* Fiber.join(holder)
      expect(yield* Fiber.join(second)).toBe("second")
    }))

  it.effect("a slot is given back when its effect fails", () =>
    Effect.gen(function*() {
      const slots = new FifoSlots(1)
      yield* Effect.flip(slots.withSlot(Effect.fail("no")))
      expect(yield* slots.withSlot(Effect.succeed("again"))).toBe("again")
    }))
})
