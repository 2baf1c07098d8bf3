import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, FiberId, Option } from "effect"
import { PublishQueues, type QueueLimits } from "../../src/store/PublishQueues.js"

const roomy: QueueLimits = { batchItems: 32, batchSize: 1_000, userItems: 64, userSize: 1_000, nodeSize: 10_000 }

/**
 * Queues whose backend is a test's hand: each batch is recorded, and settles
 * when the test opens its gate (`answer`).
 */
const queuesOf = (limits: QueueLimits = roomy, sizeOf: (item: string) => number = () => 1) =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    const batches: Array<{ readonly key: string; readonly items: ReadonlyArray<string> }> = []
    const gates: Array<Deferred.Deferred<void>> = []
    const abandoned: Array<ReadonlyArray<string>> = []
    let counted = 0
    const queues = new PublishQueues<string>(runtime, limits, {
      sizeOf,
      send: (key, items) =>
        Effect.suspend(() => {
          batches.push({ key, items })
          if (items.includes("boom")) return Effect.die("a defect")
          const gate = Deferred.unsafeMake<void>(FiberId.none)
          gates.push(gate)
          return Deferred.await(gate)
        }),
      abandon: (_key, items) => Effect.sync(() => void abandoned.push(items)),
      counted: (delta) => void (counted += delta)
    })
    /** settles the oldest batch not settled yet */
    const answer = Effect.suspend(() => Deferred.succeed(gates.shift()!, undefined))
    return { queues, batches, answer, abandoned, counted: () => counted }
  })

/** A push for user `u` is sent once the pusher gives way, alone (nothing of u's is queued), and settles. */
const startsAgain = (
  queues: PublishQueues<string>,
  batches: ReadonlyArray<{ readonly key: string; readonly items: ReadonlyArray<string> }>,
  answer: Effect.Effect<boolean>
) =>
  Effect.gen(function*() {
    queues.push("u", "again")
    yield* Effect.yieldNow()
    expect(batches.at(-1)).toEqual({ key: "u", items: ["again"] })
    yield* answer
    yield* queues.allSettled
  })

describe("PublishQueues", () => {
  it.live("a user's items go a batch at a time, each once the last settled, in order; users side by side", () =>
    Effect.gen(function*() {
      const { answer, batches, counted, queues } = yield* queuesOf()
      queues.push("u", "u1")
      queues.push("v", "v1")
      // (the loops start once this fiber gives way)
      yield* Effect.yieldNow()
      queues.push("u", "u2")
      queues.push("u", "u3")
      yield* Effect.yieldNow()
      expect(batches).toEqual([{ key: "u", items: ["u1"] }, { key: "v", items: ["v1"] }])
      expect(counted()).toBe(4)
      yield* answer
      yield* Effect.yieldNow()
      expect(batches.at(-1)).toEqual({ key: "u", items: ["u2", "u3"] })
      yield* answer
      yield* answer
      yield* queues.allSettled
      expect(counted()).toBe(0)
      // a user whose queue emptied starts again at its next push
      yield* startsAgain(queues, batches, answer)
    }))

  it.live("what is pushed before the pusher gives way goes in the first batch (a run's last event and its end)", () =>
    Effect.gen(function*() {
      const { answer, batches, queues } = yield* queuesOf()
      queues.push("u", "last event")
      queues.push("u", "end")
      yield* Effect.yieldNow()
      expect(batches).toEqual([{ key: "u", items: ["last event", "end"] }])
      yield* answer
      yield* queues.allSettled
    }))

  it.live("until the loop starts, its first item counts as waiting: full one push sooner", () =>
    Effect.gen(function*() {
      const { answer, queues } = yield* queuesOf({ ...roomy, userItems: 2 })
      queues.push("u", "u1")
      queues.push("u", "u2")
      expect(queues.full("u")).toBe(true)
      // (the loop starts: both go in its first batch, none waits)
      yield* Effect.yieldNow()
      expect(queues.full("u")).toBe(false)
      yield* answer
      yield* queues.allSettled
    }))

  it.live("a batch holds batchItems at most, and batchSize but for an item over it, which goes alone", () =>
    Effect.gen(function*() {
      const { answer, batches, queues } = yield* queuesOf({ ...roomy, batchItems: 2, batchSize: 10 }, (item) => item.length)
      for (const item of ["a", "b", "c", "d", "eeeeeeeeeeeeeeee", "f"]) queues.push("u", item)
      for (let i = 0; i < 4; i++) {
        yield* Effect.yieldNow()
        yield* answer
      }
      yield* queues.allSettled
      expect(batches.map((batch) => batch.items)).toEqual([["a", "b"], ["c", "d"], ["eeeeeeeeeeeeeeee"], ["f"]])
    }))

  it.live("full past the user's waiting items or their size, or the node's size", () =>
    Effect.gen(function*() {
      const { answer, queues } = yield* queuesOf({ ...roomy, userItems: 2, userSize: 5, nodeSize: 8 }, (item) => item.length)
      queues.push("u", "u")
      expect(queues.full("u")).toBe(false)
      // (the loop starts: u's first is sent, the next two wait behind it)
      yield* Effect.yieldNow()
      queues.push("u", "u")
      queues.push("u", "u")
      // two waiting behind the one being sent
      expect(queues.full("u")).toBe(true)
      expect(queues.full("v")).toBe(false)
      queues.push("w", "wwwww")
      // the node holds 8: every user's queue is full
      expect(queues.full("v")).toBe(true)
      // (w's loop starts: its batch is with the backend too)
      yield* Effect.yieldNow()
      yield* answer
      yield* answer
      yield* Effect.yieldNow()
      expect(queues.full("v")).toBe(false)
      yield* answer
      yield* queues.allSettled
    }))

  it.live("a send loop that dies hands what it held to abandon; the user's next push starts a loop again", () =>
    Effect.gen(function*() {
      // one item a batch: "boom" is being sent, "u3" waits behind it, when the loop dies
      const { answer, abandoned, batches, counted, queues } = yield* queuesOf({ ...roomy, batchItems: 1 })
      queues.push("u", "u1")
      queues.push("u", "boom")
      queues.push("u", "u3")
      // (the loop starts: u1 is sent)
      yield* Effect.yieldNow()
      yield* answer
      yield* queues.allSettled
      expect(abandoned).toEqual([["boom", "u3"]])
      expect(counted()).toBe(0)
      yield* startsAgain(queues, batches, answer)
    }))

  it.live("a waiting item larger than the user's size limit fills the user's queue until it is sent", () =>
    Effect.gen(function*() {
      const { answer, queues } = yield* queuesOf({ ...roomy, userItems: 10, userSize: 3 }, (item) => item.length)
      queues.push("u", "a")
      // (the loop starts: a is sent, bbb waits behind it)
      yield* Effect.yieldNow()
      queues.push("u", "bbb")
      expect(queues.full("u")).toBe(true)
      yield* answer
      yield* Effect.yieldNow()
      expect(queues.full("u")).toBe(false)
      yield* answer
      yield* queues.allSettled
    }))

  it.live("allSettled waits for the loops started while it waits too", () =>
    Effect.gen(function*() {
      const { answer, queues } = yield* queuesOf()
      queues.push("u", "u1")
      const settled = yield* Effect.fork(queues.allSettled)
      // (it waits for u's loop now)
      yield* Effect.yieldNow()
      queues.push("v", "v1")
      yield* answer
      yield* Effect.sleep("20 millis")
      expect(Option.isNone(yield* Fiber.poll(settled))).toBe(true)
      yield* answer
      yield* Fiber.join(settled)
    }))

  it.live("allSettled can be cut short by a timeout, even where interruption is off (a finalizer)", () =>
    Effect.gen(function*() {
      const { queues } = yield* queuesOf()
      queues.push("u", "never answered")
      const exit = yield* Effect.exit(Effect.uninterruptible(Effect.timeout(queues.allSettled, "50 millis")))
      expect(Exit.isFailure(exit)).toBe(true)
    }))
})
