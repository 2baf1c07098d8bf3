import { describe, expect, it } from "@effect/vitest"
import { Connection } from "../../src/transport/Connection.js"
import { History } from "../../src/store/History.js"
import * as ResumePlan from "../../src/state/ResumePlan.js"
import { FakeSocket } from "../support/FakeSocket.js"

const limits = { maxBufferedBytes: 1000, maxBufferedFrames: 10 }
const entry = (seq: number) => ({ seq, at: 0, frame: JSON.stringify({ type: "e", seq }) })

const setup = (openedSeq: number, resumeWindowMs = 500) => {
  const socket = new FakeSocket()
  let slow = 0
  const connection = new Connection("c1", "u1", socket.asWebSocket(), limits, openedSeq, resumeWindowMs, () => slow++)
  const history = new History({ minEvents: 100, minAgeMs: 0, maxEvents: 100 })
  for (let seq = 1; seq <= openedSeq; seq++) history.append(entry(seq))
  const publish = (seq: number) => {
    history.append(entry(seq))
    connection.deliver(entry(seq))
  }
  // what UserStream.resume does, with the stream's position given by the test
  const resume = (lastSeq: number, currentSeq: number) => {
    const decided = ResumePlan.plan({ lastSeq }, { epoch: "e", latestSeq: currentSeq, oldestSeq: history.oldestSeq })
    const replay = decided.after === undefined ? [] : history.range(decided.after, currentSeq)
    return { replayed: connection.replay(replay, currentSeq), gap: decided.gap }
  }
  return { socket, connection, publish, resume, slow: () => slow }
}

describe("Connection", () => {
  it("delivers live events newer than the greeting's last_seq", () => {
    const { publish, socket } = setup(3)
    publish(4)
    publish(5)
    expect(socket.frames.map((f) => f.seq)).toEqual([4, 5])
  })

  it("holds live events for an immediate resume, which replays them once and in order", () => {
    const { connection, publish, resume, socket } = setup(5)
    connection.holdForResume()
    publish(6)
    publish(7)
    expect(socket.sent).toEqual([])
    expect(resume(2, 7)).toEqual({ replayed: 5, gap: false })
    publish(8)
    expect(socket.frames.map((f) => f.seq)).toEqual([3, 4, 5, 6, 7, 8])
  })

  it("holds events published while a resume reads history, and sends those past its replay after it", () => {
    const { connection, publish, socket } = setup(3, 0)
    connection.holdUntilReplay()
    // 4 is in the history the resume read; 5 came after the read
    publish(4)
    publish(5)
    connection.releaseHeld()
    expect(socket.sent).toEqual([])
    expect(connection.replay([entry(4)], 4)).toBe(1)
    publish(6)
    expect(socket.frames.map((f) => f.seq)).toEqual([4, 5, 6])
  })

  it("lets held events go when the resume that held them failed", () => {
    const { connection, publish, socket } = setup(1, 0)
    connection.holdUntilReplay()
    publish(2)
    connection.cancelReplay()
    publish(3)
    expect(socket.frames.map((f) => f.seq)).toEqual([2, 3])
  })

  it("releases held events when the first frame is not a resume", () => {
    const { connection, publish, socket } = setup(1)
    connection.holdForResume()
    publish(2)
    connection.releaseHeld()
    publish(3)
    expect(socket.frames.map((f) => f.seq)).toEqual([2, 3])
  })

  it("on a late resume, replays everything after last_seq, then goes on live without repeats", () => {
    const { publish, resume, socket } = setup(4)
    publish(5)
    publish(6)
    expect(resume(1, 6)).toEqual({ replayed: 5, gap: false })
    publish(7)
    expect(socket.frames.map((f) => f.seq)).toEqual([5, 6, 2, 3, 4, 5, 6, 7])
  })

  it("reports a gap when history no longer reaches back", () => {
    const { resume } = setup(0)
    expect(resume(0, 0)).toEqual({ replayed: 0, gap: false })
    const { resume: resumeEmpty } = setup(0)
    expect(resumeEmpty(0, 5)).toEqual({ replayed: 0, gap: true })
  })

  it("closes a slow consumer with 1013 and sends nothing after", () => {
    const { connection, socket, slow } = setup(0)
    socket.stalled = true
    for (let i = 0; i < 20; i++) connection.send(`{"i":${i}}`)
    expect(socket.closedWith?.code).toBe(1013)
    expect(socket.sent.length).toBe(11)
    expect(slow()).toBe(1)
  })

  it("closes when the socket's buffered bytes pass the bound", () => {
    const { connection, socket } = setup(0)
    socket.bufferedAmount = 5000
    connection.send("{}")
    expect(socket.closedWith?.code).toBe(1013)
  })

  it("lets a replay take the outbound buffer past its bounds by the replay's size, until the client has caught up", () => {
    const { connection, resume, socket, slow } = setup(30, 0)
    socket.stalled = true
    // 30 missed events, three times the frame bound: a client must still be able to catch up
    expect(resume(0, 30).replayed).toBe(30)
    expect(socket.closedWith).toBeUndefined()
    // a client that reads nothing after the replay is still a slow consumer past bound + replay (10 + 30 frames)
    for (let i = 0; i < 10; i++) connection.send(`{"i":${i}}`)
    expect(socket.closedWith).toBeUndefined()
    connection.send("{}")
    expect(socket.closedWith?.code).toBe(1013)
    expect(slow()).toBe(1)
  })

  it("ends a replay's allowance once the client is back within the bounds", () => {
    const { connection, resume, socket } = setup(30, 0)
    socket.stalled = true
    resume(0, 30)
    socket.drain()
    connection.send("{}")
    socket.stalled = true
    for (let i = 0; i < 11; i++) connection.send(`{"i":${i}}`)
    expect(socket.closedWith?.code).toBe(1013)
  })

  it("closes a client that asks for the same replay again before reading the last one: allowances do not add up", () => {
    const { resume, socket, slow } = setup(30, 0)
    socket.stalled = true
    expect(resume(0, 30).replayed).toBe(30)
    expect(socket.closedWith).toBeUndefined()
    // the second full replay while the first is still buffered: past bound + one replay (10 + 30 frames)
    resume(0, 30)
    expect(socket.closedWith?.code).toBe(1013)
    expect(slow()).toBe(1)
  })
})
