import { describe, expect, it } from "vitest"
import { chunkEvent, deltaText, DONE_EVENT, parseDeltaText, readChunk, SseDataReader } from "../../scripts/bench/model-stream.js"

describe("the stream scenario's deltas", () => {
  it("a delta's text carries its index and write time, and reads back", () => {
    expect(parseDeltaText(deltaText(17, 123_456_789))).toEqual({ index: 17, writtenMicros: 123_456_789 })
  })

  it("any other text is not a delta of the fake model", () => {
    for (const text of ["", "hello", "@12 ", "3@x ", "3@12", "-1@5 "]) expect(parseDeltaText(text)).toBeUndefined()
  })
})

describe("SseDataReader", () => {
  const events = [
    chunkEvent("c1", 1, "m", { role: "assistant", content: "" }, null),
    chunkEvent("c1", 1, "m", { content: deltaText(0, 5) }, null),
    chunkEvent("c1", 1, "m", {}, "stop"),
    DONE_EVENT
  ]

  it("yields each event's data whatever pieces the socket hands over", () => {
    const whole = events.join("")
    for (const size of [1, 7, 64, whole.length]) {
      const reader = new SseDataReader()
      const out: Array<string> = []
      for (let at = 0; at < whole.length; at += size) out.push(...reader.feed(whole.slice(at, at + size)))
      expect(out.map((data) => readChunk(data))).toEqual([
        { content: "", finished: false },
        { content: deltaText(0, 5), finished: false },
        { content: "", finished: true },
        { content: "", finished: true }
      ])
    }
  })

  it("reads CRLF line ends and joins multi-line data", () => {
    expect(new SseDataReader().feed(": comment\r\nevent: x\r\ndata: a\r\ndata: b\r\n\r\n")).toEqual(["a\nb"])
  })

  it("a chunk that is not JSON is not read as one", () => {
    expect(readChunk("{nope")).toBeUndefined()
  })
})
