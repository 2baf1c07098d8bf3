import { describe, expect, it } from "vitest"
import { StreamCursor } from "../../src/client/StreamCursor.js"

interface E {
  readonly seq: number
}

const e = (...seqs: Array<number>): Array<E> => seqs.map((seq) => ({ seq }))

/** What the cursor delivers for these events, in turn (none of them overflows). */
const feed = (cursor: StreamCursor<E>, events: ReadonlyArray<E>) =>
  events.flatMap((event) => {
    const items = cursor.receive(event)
    if (items === "overflow") throw new Error(`overflow at ${event.seq}`)
    return items
  })

describe("StreamCursor: exactly once and in order across reconnects", () => {
  it("a first connection starts at the stream's latest seq and resumes from it", () => {
    const cursor = new StreamCursor<E>()
    expect(cursor.greet({ epoch: "a", last_seq: 4 })).toEqual({ resume: { last_seq: 4, epoch: "a" }, items: [] })
    expect(cursor.receive({ seq: 5 })).toEqual(e(5))
    expect(cursor.resumed({ gap: false })).toEqual([])
    expect(cursor.position).toEqual({ epoch: "a", lastSeq: 5 })
  })

  it("drops what it delivered: a replay that overlaps the live stream is delivered once", () => {
    const cursor = new StreamCursor<E>({ epoch: "a", lastSeq: 2 })
    cursor.greet({ epoch: "a", last_seq: 5 })
    expect(feed(cursor, [...e(1, 2, 3, 3, 4), ...e(5)])).toEqual(e(3, 4, 5))
    expect(cursor.resumed({ gap: false })).toEqual([])
    expect(cursor.receive({ seq: 5 })).toEqual([])
  })

  it("holds what comes past a hole while the replay is on, and delivers it in order once the hole is filled", () => {
    const cursor = new StreamCursor<E>({ epoch: "a", lastSeq: 2 })
    cursor.greet({ epoch: "a", last_seq: 2 })
    // live events that got ahead of the replay
    expect(cursor.receive({ seq: 5 })).toEqual([])
    expect(cursor.receive({ seq: 4 })).toEqual([])
    expect(cursor.receive({ seq: 3 })).toEqual(e(3, 4, 5))
    expect(cursor.resumed({ gap: false })).toEqual([])
  })

  it("history that no longer reaches back: one gap, then what is held, in order", () => {
    const cursor = new StreamCursor<E>({ epoch: "a", lastSeq: 2 })
    cursor.greet({ epoch: "a", last_seq: 9 })
    expect(cursor.receive({ seq: 7 })).toEqual([])
    expect(cursor.receive({ seq: 8 })).toEqual([])
    expect(cursor.resumed({ gap: true })).toEqual([
      { type: "stream_gap", reason: "HistoryTruncated", previousEpoch: "a", lastSeq: 2, epoch: "a" },
      ...e(7, 8)
    ])
    expect(cursor.receive({ seq: 9 })).toEqual(e(9))
  })

  it("history that holds nothing of what was missed: a gap at the ack, and the live stream goes on from the greeting's seq", () => {
    const cursor = new StreamCursor<E>({ epoch: "a", lastSeq: 2 })
    cursor.greet({ epoch: "a", last_seq: 6 })
    expect(cursor.resumed({ gap: true })).toEqual([
      { type: "stream_gap", reason: "HistoryTruncated", previousEpoch: "a", lastSeq: 2, epoch: "a" }
    ])
    expect(cursor.receive({ seq: 7 })).toEqual(e(7))
  })

  it("a new epoch: a gap at the greeting, then the new epoch's events from seq 1", () => {
    const cursor = new StreamCursor<E>({ epoch: "a", lastSeq: 40 })
    const greeted = cursor.greet({ epoch: "b", last_seq: 3 })
    expect(greeted).toEqual({
      resume: { last_seq: 0, epoch: "b" },
      items: [{ type: "stream_gap", reason: "EpochChanged", previousEpoch: "a", lastSeq: 40, epoch: "b" }]
    })
    expect(feed(cursor, e(1, 2, 3))).toEqual(e(1, 2, 3))
    expect(cursor.resumed({ gap: false })).toEqual([])
    expect(cursor.position).toEqual({ epoch: "b", lastSeq: 3 })
  })

  it("a position above the stream's latest: a gap at the greeting, and the stream goes on from its latest", () => {
    const cursor = new StreamCursor<E>({ epoch: "a", lastSeq: 40 })
    expect(cursor.greet({ epoch: "a", last_seq: 12 })).toEqual({
      resume: { last_seq: 12, epoch: "a" },
      items: [{ type: "stream_gap", reason: "AheadOfStream", previousEpoch: "a", lastSeq: 40, epoch: "a" }]
    })
    expect(cursor.resumed({ gap: true })).toEqual([])
    expect(cursor.receive({ seq: 13 })).toEqual(e(13))
  })

  it("what was held when a connection ends is left to the next connection's replay", () => {
    const cursor = new StreamCursor<E>({ epoch: "a", lastSeq: 2 })
    cursor.greet({ epoch: "a", last_seq: 5 })
    expect(cursor.receive({ seq: 5 })).toEqual([])
    cursor.disconnected()
    cursor.greet({ epoch: "a", last_seq: 5 })
    expect(feed(cursor, e(3, 4, 5))).toEqual(e(3, 4, 5))
    expect(cursor.resumed({ gap: false })).toEqual([])
  })

  it("a hole on a live connection (past its resume) is a gap at once", () => {
    const cursor = new StreamCursor<E>()
    cursor.greet({ epoch: "a", last_seq: 0 })
    cursor.resumed({ gap: false })
    expect(cursor.receive({ seq: 1 })).toEqual(e(1))
    expect(cursor.receive({ seq: 3 })).toEqual([
      { type: "stream_gap", reason: "HistoryTruncated", previousEpoch: "a", lastSeq: 1, epoch: "a" },
      ...e(3)
    ])
  })

  it("what is held past a hole is bounded by count: past it, all of it is dropped and the cursor says so", () => {
    const cursor = new StreamCursor<E>({ epoch: "a", lastSeq: 2 }, { maxHeldEvents: 3, maxHeldBytes: 1_000 })
    cursor.greet({ epoch: "a", last_seq: 2 })
    expect(feed(cursor, e(5, 6, 7))).toEqual([])
    expect(cursor.receive({ seq: 8 })).toBe("overflow")
    // the connection ends; the next one resumes from the last seq delivered, with nothing held
    cursor.disconnected()
    expect(cursor.greet({ epoch: "a", last_seq: 8 }).resume).toEqual({ last_seq: 2, epoch: "a" })
    expect(feed(cursor, e(3, 4, 5, 6, 7, 8))).toEqual(e(3, 4, 5, 6, 7, 8))
  })

  it("and by bytes; what the replay delivers out of the held no longer counts", () => {
    const cursor = new StreamCursor<E>({ epoch: "a", lastSeq: 0 }, { maxHeldEvents: 100, maxHeldBytes: 250 })
    cursor.greet({ epoch: "a", last_seq: 0 })
    expect(cursor.receive({ seq: 2 }, 100)).toEqual([])
    expect(cursor.receive({ seq: 3 }, 100)).toEqual([])
    expect(cursor.receive({ seq: 1 }, 100)).toEqual(e(1, 2, 3))
    expect(cursor.receive({ seq: 5 }, 100)).toEqual([])
    expect(cursor.receive({ seq: 6 }, 100)).toEqual([])
    expect(cursor.receive({ seq: 7 }, 100)).toBe("overflow")
  })
})
