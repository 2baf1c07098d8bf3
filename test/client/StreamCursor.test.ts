import { describe, expect, it } from "vitest"
import { StreamCursor } from "../../src/client/StreamCursor.js"

interface E {
  readonly seq: number
}

const e = (...seqs: Array<number>): Array<E> => seqs.map((seq) => ({ seq }))

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
    expect([...e(1, 2, 3, 3, 4), ...e(5)].flatMap((event) => cursor.receive(event))).toEqual(e(3, 4, 5))
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
    expect(e(1, 2, 3).flatMap((event) => cursor.receive(event))).toEqual(e(1, 2, 3))
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
    expect(e(3, 4, 5).flatMap((event) => cursor.receive(event))).toEqual(e(3, 4, 5))
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
})
