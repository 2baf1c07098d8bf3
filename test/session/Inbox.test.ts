import { describe, expect, it } from "@effect/vitest"
import { Inbox, type InboxReader, type RawFrame } from "../../src/session/Inbox.js"

/** A reader that drains synchronously and records what it saw. */
const setup = (maxFrames: number) => {
  const taken: Array<RawFrame> = []
  const overflowed: Array<RawFrame> = []
  let drains = 0
  const reader: InboxReader = {
    startDrain: () => {
      drains++
      for (let frame = inbox.take(); frame !== undefined; frame = inbox.take()) taken.push(frame)
    },
    overflow: (frame) => overflowed.push(frame)
  }
  const inbox = new Inbox(reader, maxFrames)
  return { inbox, taken, overflowed, drains: () => drains }
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

  it("answers a frame beyond maxFrames waiting through overflow, keeping the ones it holds", async () => {
    const { inbox, taken, overflowed } = setup(2)
    for (const frame of ["a", "b", "c", "d"]) inbox.push(frame)
    expect(overflowed).toEqual(["c", "d"])
    await afterThisTick()
    expect(taken).toEqual(["a", "b"])
    inbox.push("e")
    await afterThisTick()
    expect(taken).toEqual(["a", "b", "e"])
  })
})
