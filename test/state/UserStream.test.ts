import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Scope, TestClock } from "effect"
import * as SwitchyardConfig from "../../src/Config.js"
import * as ServerFrame from "../../src/protocol/ServerFrame.js"
import type { StreamEvent } from "../../src/protocol/StreamEvents.js"
import { extensionEvent } from "../../src/protocol/ExtensionEvent.js"
import { Lifecycle } from "../../src/state/Lifecycle.js"
import { UserSessions } from "../../src/state/UserSessions.js"
import { type StreamSubscriber, UserStream } from "../../src/state/UserStream.js"
import type { HistoryEntry } from "../../src/store/History.js"
import * as MemoryStreams from "../../src/store/MemoryStreams.js"
import * as UserServices from "../../src/UserServices.js"

const options = { minEvents: 100, minAgeMs: 60_000, maxEvents: 1000 }

/** A connection as the stream sees it, recording what reaches it. */
const subscriber = (id: string) => {
  const frames: Array<string> = []
  const seqs: Array<number> = []
  const connection: StreamSubscriber = {
    id,
    deliver: (entry: HistoryEntry) => void seqs.push(entry.seq),
    send: (frame) => void frames.push(frame),
    holdUntilReplay: () => {},
    cancelReplay: () => {},
    replay: (entries) => {
      for (const entry of entries) seqs.push(entry.seq)
      return entries.length
    },
    closeForResume: () => {}
  }
  return { connection, frames, seqs }
}

const event = (text: string): StreamEvent => ({ type: "agent_thinking", run_id: "r1", payload: { text } })

const metrics = { runs: 1, completed: 1, failed: 0, cancelled: 0, success_rate: 1, latency_ms: { p50: 5, p95: 5 }, tools: {} }

describe("stream frames", () => {
  it("are, seq put between head and tail, what a whole encoding gives, character for character", () => {
    const events: Array<StreamEvent> = [
      event("hé \"quoted\" \u2028"),
      { type: "agent_completed", run_id: "r1", payload: { status: "failed", error: { code: "X", message: "a [1, null]" } } },
      { type: "quality_alert", payload: { kind: "recovered", metrics, thresholds: {} } },
      extensionEvent("weird \"type\"", { nested: { a: [1, null] } })
    ]
    for (const e of events) {
      const ts = "2026-01-01T00:00:00.000Z"
      expect(ServerFrame.streamEventHead(e.type) + 42 + ServerFrame.streamEventTail(e, ts)).toBe(ServerFrame.streamEvent(42, e, ts))
    }
  })
})

describe("UserStream over a shared backplane", () => {
  const twoNodes = Effect.gen(function*() {
    const streams = new MemoryStreams.MemoryStreams(options)
    const onNode = () => UserStream.make("u", MemoryStreams.backplane(streams), MemoryStreams.historyStore(streams))
    return { a: yield* onNode(), b: yield* onNode(), streams }
  })

  it.scoped("delivers an event published on one node to the user's connections on both, with one seq", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoNodes
      const here = subscriber("c1")
      const there = subscriber("c2")
      a.connections.add(here.connection)
      b.connections.add(there.connection)
      expect(b.epoch).toBe(a.epoch)
      yield* a.publish(event("one"))
      yield* b.publish(event("two"))
      expect(here.seqs).toEqual([1, 2])
      expect(there.seqs).toEqual([1, 2])
      expect([a.lastSeq, b.lastSeq]).toEqual([2, 2])
    }))

  it.scoped("relays a signal to the user's other connections on every node, not to its sender", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoNodes
      const sender = subscriber("c1")
      const sibling = subscriber("c2")
      const elsewhere = subscriber("c3")
      a.connections.add(sender.connection)
      a.connections.add(sibling.connection)
      b.connections.add(elsewhere.connection)
      yield* a.signal("c1", "typing", { is_typing: true, connection_id: "c1" })
      // the notice as sent (its `ts` is the moment it was encoded)
      const seen = (frames: ReadonlyArray<string>) =>
        frames.map((frame) => {
          const { payload, type } = JSON.parse(frame)
          return { type, payload }
        })
      const typing = { type: "typing", payload: { is_typing: true, connection_id: "c1" } }
      expect([seen(sender.frames), seen(sibling.frames), seen(elsewhere.frames)]).toEqual([[], [typing], [typing]])
      expect(a.lastSeq).toBe(0)
    }))

  it.scoped("resumes from the shared history, whichever node published", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoNodes
      for (const text of ["1", "2", "3"]) yield* a.publish(event(text))
      const late = subscriber("c9")
      expect(yield* b.resume(late.connection, { lastSeq: 1, epoch: a.epoch })).toEqual({ replayed: 2, gap: false, epoch: a.epoch })
      expect(late.seqs).toEqual([2, 3])
      const stranger = subscriber("c10")
      expect(yield* b.resume(stranger.connection, { lastSeq: 7, epoch: "another" })).toEqual({ replayed: 3, gap: true, epoch: a.epoch })
    }))
})

describe("UserStream resume, a page of history at a time", () => {
  it.scoped("replays everything the client lacks across pages, up to the latest seq the first page saw", () =>
    Effect.gen(function*() {
      const streams = new MemoryStreams.MemoryStreams(options)
      const history = MemoryStreams.historyStore(streams)
      const paged = yield* UserStream.make("u", MemoryStreams.backplane(streams), history, { maxEvents: 3, maxBytes: 1 << 20 })
      for (let i = 1; i <= 10; i++) yield* paged.publish(event(String(i)))
      const client = subscriber("c1")
      expect(yield* paged.resume(client.connection, { lastSeq: 2, epoch: paged.epoch })).toEqual({
        replayed: 8,
        gap: false,
        epoch: paged.epoch
      })
      expect(client.seqs).toEqual([3, 4, 5, 6, 7, 8, 9, 10])
    }))

  it.scoped("events dropped from history between two pages leave a hole: the replay starts after it, with a gap", () =>
    Effect.gen(function*() {
      const streams = new MemoryStreams.MemoryStreams(options)
      const backplane = MemoryStreams.backplane(streams)
      const real = MemoryStreams.historyStore(streams)
      let reads = 0
      // the second page finds 4..6 gone (evicted meanwhile): it begins at 7
      const evicting: typeof real = {
        ...real,
        read: (userId, after, limit) =>
          Effect.map(real.read(userId, ++reads === 2 ? 6 : after, limit), (slice) => slice)
      }
      const paged = yield* UserStream.make("u", backplane, evicting, { maxEvents: 3, maxBytes: 1 << 20 })
      for (let i = 1; i <= 10; i++) yield* paged.publish(event(String(i)))
      const client = subscriber("c1")
      expect(yield* paged.resume(client.connection, { lastSeq: 0, epoch: paged.epoch })).toEqual({
        replayed: 4,
        gap: true,
        epoch: paged.epoch
      })
      expect(client.seqs).toEqual([7, 8, 9, 10])
    }))
})

describe("UserStream and the user's session", () => {
  it.scoped("is forgotten by the store when the user's session is released: the memory does not grow with users who left", () =>
    Effect.gen(function*() {
      const streams = new MemoryStreams.MemoryStreams(options)
      const built = yield* Layer.build(UserServices.sessionsLayer.pipe(
        Layer.provide(SwitchyardConfig.layerWith({ sessionGraceMs: 60_000 })),
        Layer.provide(Lifecycle.layer),
        Layer.provide(Layer.succeedContext(MemoryStreams.context(streams)))
      ))
      const sessions = Context.get(built, UserSessions)
      const connection = yield* Scope.make()
      const session = yield* Scope.extend(sessions.acquire("erin"), connection)
      yield* session.stream.publish(event("hi"))
      const epoch = session.stream.epoch
      yield* Scope.close(connection, Exit.void)
      expect(streams.size).toBe(1)
      yield* TestClock.adjust("61 seconds")
      expect(streams.size).toBe(0)
      const again = yield* Scope.extend(sessions.acquire("erin"), yield* Scope.make())
      expect(again.stream.epoch).not.toBe(epoch)
      expect(again.stream.lastSeq).toBe(0)
    }))
})
