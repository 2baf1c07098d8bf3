import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { bounded, ConversationMemory, type ConversationTurn } from "../../src/state/Conversations.js"

const turn = (n: number, size = 10): ConversationTurn => ({
  user: `u${n}`.padEnd(size / 2, "."),
  assistant: `a${n}`.padEnd(size / 2, ".")
})

describe("bounded", () => {
  const turns = [1, 2, 3, 4, 5].map((n) => turn(n))

  it("keeps the newest turns, oldest first, within the number of turns", () => {
    expect(bounded(turns, { maxTurns: 2, maxChars: 1_000 })).toEqual([turn(4), turn(5)])
    expect(bounded(turns, { maxTurns: 10, maxChars: 1_000 })).toEqual(turns)
    expect(bounded(turns, { maxTurns: 0, maxChars: 1_000 })).toEqual([])
  })

  it("keeps the newest turns within the characters (user + assistant)", () => {
    expect(bounded(turns, { maxTurns: 10, maxChars: 30 })).toEqual([turn(3), turn(4), turn(5)])
    expect(bounded(turns, { maxTurns: 10, maxChars: 29 })).toEqual([turn(4), turn(5)])
    expect(bounded(turns, { maxTurns: 10, maxChars: 9 })).toEqual([])
  })

  it("never skips a turn to fit an older one: the history has no gaps", () => {
    const mixed = [turn(1, 4), turn(2, 40), turn(3, 4)]
    expect(bounded(mixed, { maxTurns: 10, maxChars: 20 })).toEqual([turn(3, 4)])
  })
})

describe("ConversationMemory", () => {
  const store = (options: Partial<ConstructorParameters<typeof ConversationMemory>[0]> = {}) =>
    new ConversationMemory({ maxTurns: 3, maxChars: 1_000, maxThreads: 2, ...options })

  it.effect("records turns per thread and gives them back oldest first", () =>
    Effect.gen(function*() {
      const memory = store()
      yield* memory.record("t1", turn(1))
      yield* memory.record("t2", turn(2))
      yield* memory.record("t1", turn(3))
      expect(yield* memory.history("t1")).toEqual([turn(1), turn(3)])
      expect(yield* memory.history("t2")).toEqual([turn(2)])
      expect(yield* memory.history("unknown")).toEqual([])
    }))

  it.effect("keeps at most maxTurns per thread", () =>
    Effect.gen(function*() {
      const memory = store()
      for (const n of [1, 2, 3, 4, 5]) yield* memory.record("t", turn(n))
      expect(yield* memory.history("t")).toEqual([turn(3), turn(4), turn(5)])
    }))

  it.effect("applies the character budget when the history is read", () =>
    Effect.gen(function*() {
      const memory = store({ maxChars: 15 })
      for (const n of [1, 2, 3]) yield* memory.record("t", turn(n))
      expect(yield* memory.history("t")).toEqual([turn(3)])
    }))

  it.effect("forgets the least recently used thread beyond maxThreads", () =>
    Effect.gen(function*() {
      const memory = store()
      yield* memory.record("a", turn(1))
      yield* memory.record("b", turn(2))
      yield* memory.record("a", turn(3)) // "a" is now the most recent
      yield* memory.record("c", turn(4))
      expect(memory.size).toBe(2)
      expect(yield* memory.history("b")).toEqual([])
      expect(yield* memory.history("a")).toEqual([turn(1), turn(3)])
      expect(yield* memory.history("c")).toEqual([turn(4)])
    }))

  it.effect("a thread keeps only what a history can still send", () =>
    Effect.gen(function*() {
      const memory = store({ maxTurns: 100, maxChars: 25, maxThreads: 10 })
      for (const n of [1, 2, 3, 4, 5, 6]) yield* memory.record("t", turn(n))
      expect(yield* memory.history("t")).toEqual([turn(5), turn(6)])
      expect(memory.chars).toBe(20)
    }))

  it.effect("bounds the characters across all threads, forgetting the least recently used", () =>
    Effect.gen(function*() {
      const memory = store({ maxTurns: 100, maxChars: 1_000, maxThreads: 100, maxUserChars: 35 })
      yield* memory.record("a", turn(1))
      yield* memory.record("b", turn(2))
      yield* memory.record("a", turn(3)) // "b" is now the least recently used
      yield* memory.record("c", turn(4))
      expect(yield* memory.history("b")).toEqual([])
      expect(yield* memory.history("a")).toEqual([turn(1), turn(3)])
      expect(yield* memory.history("c")).toEqual([turn(4)])
      expect(memory.chars).toBe(30)
      // however many threads and turns, the total stays within the budget
      for (let n = 0; n < 1000; n++) yield* memory.record(`t${n % 37}`, turn(n))
      expect(memory.chars).toBeLessThanOrEqual(35)
    }))

  it.effect("a user budget below one history's characters bounds each thread too", () =>
    Effect.gen(function*() {
      const memory = store({ maxTurns: 100, maxChars: 1_000, maxThreads: 100, maxUserChars: 15 })
      for (const n of [1, 2, 3]) yield* memory.record("t", turn(n))
      expect(yield* memory.history("t")).toEqual([turn(3)])
      expect(memory.chars).toBe(10)
    }))

  it.effect("remembers nothing when a bound is zero", () =>
    Effect.gen(function*() {
      const memory = store({ maxTurns: 0 })
      yield* memory.record("t", turn(1))
      expect(memory.size).toBe(0)
    }))
})
