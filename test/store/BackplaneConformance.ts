import { describe, expect, it } from "@effect/vitest"
import { Chunk, Context, Effect, Queue, type Scope } from "effect"
import { Backplane, frameOf, type PendingEvent, type StreamListener } from "../../src/store/Backplane.js"
import type { HistoryEntry, HistoryOptions } from "../../src/store/History.js"
import { HistoryStore } from "../../src/store/HistoryStore.js"
import type { MakeCluster } from "./StoreCluster.js"

/** History bounds wide enough that no event is dropped in these tests. */
export const roomyHistory: HistoryOptions = { minEvents: 10_000, minAgeMs: 60 * 60_000, maxEvents: 100_000 }

/** An event whose frame says who published it: `{"by":"<by>","seq":<seq>}`. */
const pending = (by: string, at = 0): PendingEvent => ({ head: `{"by":${JSON.stringify(by)},"seq":`, tail: "}", at })

/** A listener that records what it is given, and waits for it. */
const recorder = Effect.gen(function*() {
  const events = yield* Queue.unbounded<HistoryEntry>()
  const signals = yield* Queue.unbounded<{ readonly frame: string; readonly senderId: string }>()
  const listener: StreamListener = {
    event: (entry) => void Queue.unsafeOffer(events, entry),
    signal: (frame, senderId) => void Queue.unsafeOffer(signals, { frame, senderId })
  }
  return {
    listener,
    /** waits for the next `n` events */
    events: (n: number) => Effect.map(Queue.takeN(events, n), Chunk.toReadonlyArray),
    /** waits for the next signal */
    signal: Queue.take(signals),
    /** how many events arrived and were not taken yet */
    pendingEvents: Queue.size(events)
  }
})

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

/**
 * What every `Backplane` must do, whatever carries it: run it against each
 * implementation with a way to make a shared backing and nodes over it
 * (each node a `Backplane` and the `HistoryStore` of the same backing).
 * Nothing here waits on time: deliveries are awaited, so an implementation
 * whose delivery is asynchronous (Redis pub/sub) runs it unchanged.
 */
export const backplaneSuite = (
  name: string,
  makeCluster: MakeCluster<HistoryOptions, Backplane | HistoryStore>
) =>
  describe(`Backplane conformance: ${name}`, () => {
    // a fresh backing per test; `nodes(n)` makes n nodes over it
    const withNodes = <A, E>(
      count: number,
      body: (nodes: ReadonlyArray<Context.Context<Backplane | HistoryStore>>) => Effect.Effect<A, E, Scope.Scope>
    ) =>
      Effect.gen(function*() {
        const cluster = yield* makeCluster(roomyHistory)
        const nodes: Array<Context.Context<Backplane | HistoryStore>> = []
        for (let i = 0; i < count; i++) nodes.push(yield* cluster.node)
        return yield* body(nodes)
      })
    const backplane = (node: Context.Context<Backplane | HistoryStore>) => Context.get(node, Backplane)
    const history = (node: Context.Context<Backplane | HistoryStore>) => Context.get(node, HistoryStore)

    it.scoped("gives a stream's events to its listener in seq order from 1, each framed as head + seq + tail", () =>
      withNodes(1, ([a]) =>
        Effect.gen(function*() {
          const listening = yield* recorder
          const position = yield* backplane(a!).subscribe("u", listening.listener)
          expect(position.latestSeq).toBe(0)
          const seqs: Array<number> = []
          for (let i = 0; i < 3; i++) seqs.push(yield* backplane(a!).publish("u", pending("a", 1000 + i)))
          expect(seqs).toEqual([1, 2, 3])
          expect(yield* listening.events(3)).toEqual([
            { seq: 1, at: 1000, frame: `{"by":"a","seq":1}` },
            { seq: 2, at: 1001, frame: `{"by":"a","seq":2}` },
            { seq: 3, at: 1002, frame: `{"by":"a","seq":3}` }
          ])
        })))

    it.scoped("keeps users apart: each has its own seqs, epoch and listeners", () =>
      withNodes(1, ([a]) =>
        Effect.gen(function*() {
          const one = yield* recorder
          const two = yield* recorder
          const first = yield* backplane(a!).subscribe("u1", one.listener)
          const second = yield* backplane(a!).subscribe("u2", two.listener)
          expect(first.epoch).not.toBe(second.epoch)
          yield* backplane(a!).publish("u1", pending("u1"))
          yield* backplane(a!).publish("u1", pending("u1"))
          expect(yield* backplane(a!).publish("u2", pending("u2"))).toBe(1)
          // u2's first event is its own: none of u1's came before it
          expect((yield* two.events(1)).map((e) => e.frame)).toEqual([`{"by":"u2","seq":1}`])
          expect((yield* one.events(2)).map((e) => e.seq)).toEqual([1, 2])
        })))

    it.scoped("keeps users apart whose ids differ only in lone surrogates, or in one against U+FFFD", () =>
      withNodes(2, ([a, b]) =>
        Effect.gen(function*() {
          // (a token's `sub` of JSON `"\ud800"` is a lone surrogate, which UTF-8 cannot hold: it became U+FFFD)
          const users = ["x\uD800", "x\uDC00", "x\uFFFD"]
          const listeners: Array<Effect.Effect.Success<typeof recorder>> = []
          for (const user of users) {
            const listening = yield* recorder
            yield* backplane(b!).subscribe(user, listening.listener)
            listeners.push(listening)
          }
          for (const user of users) {
            for (let i = 0; i < 2; i++) expect(yield* backplane(a!).publish(user, pending(user))).toBe(i + 1)
          }
          // each user's two events, and no other's before them
          for (const [i, user] of users.entries()) {
            expect((yield* listeners[i]!.events(2)).map((e) => e.frame)).toEqual([1, 2].map((seq) => frameOf(pending(user), seq)))
          }
        })))

    it.scoped("delivers to every node that serves the user, the same events in the same order", () =>
      withNodes(2, ([a, b]) =>
        Effect.gen(function*() {
          const onA = yield* recorder
          const onB = yield* recorder
          yield* backplane(a!).subscribe("u", onA.listener)
          yield* backplane(b!).subscribe("u", onB.listener)
          for (let i = 0; i < 3; i++) {
            yield* backplane(a!).publish("u", pending("a"))
            yield* backplane(b!).publish("u", pending("b"))
          }
          const seen = yield* onA.events(6)
          expect(seen.map((e) => e.seq)).toEqual(range(1, 6))
          expect(seen.map((e) => e.frame)).toEqual(range(1, 6).map((seq) => `{"by":"${seq % 2 === 1 ? "a" : "b"}","seq":${seq}}`))
          expect(yield* onB.events(6)).toEqual(seen)
        })))

    it.scoped("allocates seqs with no duplicate and no hole when nodes publish at once", () =>
      withNodes(2, ([a, b]) =>
        Effect.gen(function*() {
          const onA = yield* recorder
          const onB = yield* recorder
          yield* backplane(a!).subscribe("u", onA.listener)
          yield* backplane(b!).subscribe("u", onB.listener)
          const publishes = range(1, 100).map((i) => backplane(i % 2 === 0 ? a! : b!).publish("u", pending(`p${i}`)))
          const seqs = yield* Effect.all(publishes, { concurrency: "unbounded" })
          expect([...seqs].sort((x, y) => x - y)).toEqual(range(1, 100))
          // each listener sees every seq once, in order, with the frame of the publish that got it
          const framed = new Map(seqs.map((seq, i) => [seq, `{"by":"p${i + 1}","seq":${seq}}`]))
          for (const listening of [onA, onB]) {
            const seen = yield* listening.events(100)
            expect(seen.map((e) => e.seq)).toEqual(range(1, 100))
            expect(seen.every((e) => e.frame === framed.get(e.seq))).toBe(true)
          }
        })))

    it.scoped("appends every published event to the user's history, as one step, readable on every node", () =>
      withNodes(2, ([a, b]) =>
        Effect.gen(function*() {
          const onA = yield* recorder
          yield* backplane(a!).subscribe("u", onA.listener)
          for (let i = 0; i < 3; i++) yield* backplane(a!).publish("u", pending("a", 5))
          const delivered = yield* onA.events(3)
          const slice = yield* history(b!).read("u", 1)
          expect(slice.entries).toEqual(delivered.slice(1))
          expect(slice.oldestSeq).toBe(1)
          expect(slice.latestSeq).toBe(3)
        })))

    it.scoped("gives a node that joins the stream its epoch and latest seq; the next event is its listener's", () =>
      withNodes(2, ([a, b]) =>
        Effect.gen(function*() {
          const onA = yield* recorder
          const onB = yield* recorder
          const first = yield* backplane(a!).subscribe("u", onA.listener)
          yield* backplane(a!).publish("u", pending("a"))
          yield* backplane(a!).publish("u", pending("a"))
          const joined = yield* backplane(b!).subscribe("u", onB.listener)
          expect(joined).toEqual({ epoch: first.epoch, latestSeq: 2 })
          yield* backplane(a!).publish("u", pending("a"))
          // the listener may also be given events it already counts (seq <= latestSeq), never a later one out of order
          const after: Array<number> = []
          while (after.at(-1) !== 3) {
            const [entry] = yield* onB.events(1)
            if (entry!.seq > joined.latestSeq) after.push(entry!.seq)
          }
          expect(after).toEqual([3])
        })))

    it.scoped("keeps the stream (epoch, seq, history) while another node still serves the user", () =>
      withNodes(2, ([a, b]) =>
        Effect.gen(function*() {
          const onA = yield* recorder
          const onB = yield* recorder
          const first = yield* backplane(a!).subscribe("u", onA.listener)
          yield* backplane(b!).subscribe("u", onB.listener)
          yield* backplane(a!).publish("u", pending("a"))
          yield* onB.events(1)
          yield* backplane(a!).unsubscribe("u", onA.listener)
          const again = yield* recorder
          const rejoined = yield* backplane(a!).subscribe("u", again.listener)
          expect(rejoined).toEqual({ epoch: first.epoch, latestSeq: 1 })
          expect(yield* backplane(b!).publish("u", pending("b"))).toBe(2)
          expect((yield* again.events(1)).map((e) => e.seq)).toEqual([2])
          expect((yield* history(a!).read("u", 0)).entries.map((e) => e.seq)).toEqual([1, 2])
        })))

    it.scoped("stops delivering to a listener once it unsubscribes", () =>
      withNodes(1, ([a]) =>
        Effect.gen(function*() {
          const gone = yield* recorder
          const stays = yield* recorder
          yield* backplane(a!).subscribe("u", gone.listener)
          yield* backplane(a!).subscribe("u", stays.listener)
          yield* backplane(a!).publish("u", pending("a"))
          yield* gone.events(1)
          yield* backplane(a!).unsubscribe("u", gone.listener)
          yield* backplane(a!).publish("u", pending("a"))
          // the listener that stays got the second event: the closed one had its chance
          expect((yield* stays.events(2)).map((e) => e.seq)).toEqual([1, 2])
          expect(yield* gone.pendingEvents).toBe(0)
        })))

    it.scoped("carries a signal to the user's listeners on every node, with its sender, outside the stream", () =>
      withNodes(2, ([a, b]) =>
        Effect.gen(function*() {
          const onA = yield* recorder
          const onB = yield* recorder
          const other = yield* recorder
          yield* backplane(a!).subscribe("u", onA.listener)
          yield* backplane(b!).subscribe("u", onB.listener)
          yield* backplane(b!).subscribe("v", other.listener)
          yield* backplane(a!).signal("u", `{"type":"typing"}`, "c-1")
          expect(yield* onA.signal).toEqual({ frame: `{"type":"typing"}`, senderId: "c-1" })
          expect(yield* onB.signal).toEqual({ frame: `{"type":"typing"}`, senderId: "c-1" })
          // no seq taken, nothing kept
          expect((yield* history(b!).read("u", 0)).latestSeq).toBe(0)
          expect(yield* backplane(a!).publish("u", pending("a"))).toBe(1)
          // another user's listener got none of it: its first signal is its own
          yield* backplane(a!).signal("v", "mine", "c-2")
          expect(yield* other.signal).toEqual({ frame: "mine", senderId: "c-2" })
        })))
  })
