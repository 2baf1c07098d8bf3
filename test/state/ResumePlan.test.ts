import { describe, expect, it } from "@effect/vitest"
import * as Epoch from "../../src/store/Epoch.js"
import * as ResumePlan from "../../src/state/ResumePlan.js"

const stream = { epoch: "E", latestSeq: 10, oldestSeq: 4 }

describe("ResumePlan (PROTOCOL §4 resume)", () => {
  it("within the epoch and within history: replays after last_seq, no gap", () => {
    expect(ResumePlan.plan({ lastSeq: 3, epoch: "E" }, stream)).toEqual({ after: 3, gap: false })
    expect(ResumePlan.plan({ lastSeq: 7 }, stream)).toEqual({ after: 7, gap: false })
    expect(ResumePlan.plan({ lastSeq: 10, epoch: "E" }, stream)).toEqual({ after: 10, gap: false })
  })

  it("history no longer reaching back is a gap; what is held is still replayed", () => {
    expect(ResumePlan.plan({ lastSeq: 2, epoch: "E" }, stream)).toEqual({ after: 2, gap: true })
    expect(ResumePlan.plan({ lastSeq: 0 }, { epoch: "E", latestSeq: 5, oldestSeq: undefined })).toEqual({
      after: 0,
      gap: true
    })
  })

  it("last_seq above the stream's latest is a gap and replays nothing", () => {
    expect(ResumePlan.plan({ lastSeq: 11, epoch: "E" }, stream)).toEqual({ after: undefined, gap: true })
    expect(ResumePlan.plan({ lastSeq: 8 }, { epoch: "E", latestSeq: 0, oldestSeq: undefined })).toEqual({
      after: undefined,
      gap: true
    })
  })

  it("another epoch is a gap: the client has seen nothing of this one, all held is replayed", () => {
    expect(ResumePlan.plan({ lastSeq: 3, epoch: "old" }, stream)).toEqual({ after: 0, gap: true })
    expect(ResumePlan.plan({ lastSeq: 99, epoch: "old" }, stream)).toEqual({ after: 0, gap: true })
    expect(ResumePlan.plan({ lastSeq: 0, epoch: "old" }, { epoch: "E", latestSeq: 0, oldestSeq: undefined }))
      .toEqual({ after: 0, gap: true })
  })
})

describe("Epoch", () => {
  it("mints distinct epochs, even in one millisecond", () => {
    const minted = new Set(Array.from({ length: 1000 }, () => Epoch.unsafeMake(1_700_000_000_000)))
    expect(minted.size).toBe(1000)
  })
})
