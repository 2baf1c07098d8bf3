import { describe, expect, it } from "@effect/vitest"
import { Inbox, type InboxReader, type RawFrame } from "../../src/transport/Inbox.js"

/** A reader that drains synchronously and records what it saw. */
const setup = (maxFrames: number, maxChars = 1_000_000) => {
  const taken: Array<RawFrame> = []
  const overflowed: Array<RawFrame> = []
  const reading: Array<"hold" | "release"> = []
  let drains = 0
  const reader: InboxReader = {
    startDrain: () => {
      drains++
      for (let frame = inbox.take(); frame !== undefined; frame = inbox.take()) taken.push(frame)
    },
    overflow: (frame) => overflowed.push(frame),
    holdReading: () => reading.push("hold"),
    releaseReading: () => reading.push("release")
  }
  const inbox = new Inbox(reader, maxFrames, maxChars)
  return { inbox, taken, overflowed, reading, drains: () => drains }
}

const afterThisTick = () => new Promise<void>((resolve) => queueMicrotask(resolve))

describe("Inbox", () => {
  it("takes the frames of one read in one drain, after the read, in arrival order", async () => {
    const { inbox, taken, drains } = setup(10)
    inbox.push("a")
    inbox.push(null)
    inbox.push("c")
    expect(drains()).toBe(0)
    await afterThisTick()
    expect(drains()).toBe(1)
    expect(taken).toEqual(["a", null, "c"])
  })

  it("starts a new drain for the next burst once the last one found the inbox empty", async () => {
    const { inbox, taken, drains } = setup(10)
    inbox.push("a")
    await afterThisTick()
    inbox.push("b")
    await afterThisTick()
    expect(drains()).toBe(2)
    expect(taken).toEqual(["a", "b"])
  })

  it("hands a frame beyond maxFrames waiting to overflow, keeping the ones it holds", async () => {
    const { inbox, taken, overflowed } = setup(2)
    for (const frame of ["a", "b", "c", "d"]) inbox.push(frame)
    expect(overflowed).toEqual(["c", "d"])
    await afterThisTick()
    expect(taken).toEqual(["a", "b"])
    inbox.push("e")
    await afterThisTick()
    expect(taken).toEqual(["a", "b", "e"])
  })

  it("stops the socket's reading once full (in frames or characters) and reads on when half is free", async () => {
    const byFrames = setup(4)
    for (const frame of ["a", "b", "c"]) byFrames.inbox.push(frame)
    expect(byFrames.reading).toEqual([])
    byFrames.inbox.push("d")
    expect(byFrames.reading).toEqual(["hold"])
    await afterThisTick()
    expect(byFrames.reading).toEqual(["hold", "release"])

    const byChars = setup(100, 10)
    byChars.inbox.push("x".repeat(6))
    expect(byChars.reading).toEqual([])
    byChars.inbox.push("y".repeat(4))
    expect(byChars.reading).toEqual(["hold"])
    // over the characters while frames wait: answered, not held
    byChars.inbox.push("z")
    expect(byChars.overflowed).toEqual(["z"])
    await afterThisTick()
    expect(byChars.taken).toEqual(["x".repeat(6), "y".repeat(4)])
    expect(byChars.reading).toEqual(["hold", "release"])
  })

  it("takes any one frame into an empty inbox, however large", async () => {
    const { inbox, taken, overflowed } = setup(10, 10)
    inbox.push("x".repeat(50))
    expect(overflowed).toEqual([])
    await afterThisTick()
    expect(taken).toEqual(["x".repeat(50)])
  })
})
