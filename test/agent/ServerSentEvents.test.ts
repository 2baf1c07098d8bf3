import { describe, expect, it } from "@effect/vitest"
import * as ServerSentEvents from "../../src/agent/openai/ServerSentEvents.js"

// Feeds the pieces in order; returns the events and what the last feed said.
const read = (pieces: ReadonlyArray<string>, maxEventChars?: number) => {
  const reader = new ServerSentEvents.Reader(maxEventChars)
  const events: Array<ServerSentEvents.Event> = []
  let result: ServerSentEvents.Oversized | undefined
  for (const piece of pieces) {
    result = reader.feed(piece, events)
    if (result !== undefined) break
  }
  return { events, result }
}

// Every way of cutting `text` into two reads, and one read per character.
const cuts = (text: string): Array<Array<string>> => [
  ...Array.from({ length: text.length + 1 }, (_, at) => [text.slice(0, at), text.slice(at)]),
  Array.from(text)
]

describe("ServerSentEvents.Reader", () => {
  it("reads events ended by LF, CRLF or CR alike, however the text is cut", () => {
    for (const eol of ["\n", "\r\n", "\r"]) {
      const text = `data: one${eol}${eol}event: error${eol}data: two${eol}${eol}`
      for (const pieces of cuts(text)) {
        expect(read(pieces).events).toEqual([{ event: "message", data: "one" }, { event: "error", data: "two" }])
      }
    }
  })

  it("joins data lines with a newline, and takes one space after the colon away (only one)", () => {
    expect(read(["data:a\ndata:  b\ndata\n\n"]).events).toEqual([{ event: "message", data: "a\n b\n" }])
  })

  it("skips comments, id and retry, dispatches nothing for an event without data, and holds an unended event back", () => {
    const { events } = read([": keep-alive\n\nid: 7\nretry: 10\n\nevent: ping\n\ndata: x\n\ndata: unended\n"])
    expect(events).toEqual([{ event: "message", data: "x" }])
  })

  it("reads a thousand events of one read, in order", () => {
    const text = Array.from({ length: 1000 }, (_, i) => `data: {"n":${i}}\n\n`).join("")
    const { events } = read([text])
    expect(events.map((event) => JSON.parse(event.data).n)).toEqual(Array.from({ length: 1000 }, (_, i) => i))
  })

  it("gives up on an event longer than maxEventChars, in one line or in many, cut or whole", () => {
    expect(read(["data: " + "x".repeat(101)], 100).result).toEqual({ _tag: "Oversized", maxEventChars: 100 })
    expect(read(Array.from({ length: 30 }, () => "data: 0123456789\n"), 100).result).toEqual({
      _tag: "Oversized",
      maxEventChars: 100
    })
    expect(read(Array.from({ length: 30 }, () => "data: 0123456789\n\n"), 100)).toMatchObject({ result: undefined })
  })

  it("counts what an event keeps alive: empty data lines, and the whole read a short value was cut from", () => {
    expect(read(["data:\n".repeat(101)], 100).result).toEqual({ _tag: "Oversized", maxEventChars: 100 })
    // 20 short values, each cut from a read padded with a 64-character comment
    const padded = Array.from({ length: 20 }, () => `data: x\n:${"c".repeat(64)}\n`)
    expect(read(padded, 1000).result).toEqual({ _tag: "Oversized", maxEventChars: 1000 })
  })

  it("keeps a CR at the end of a read paired with the LF after an empty read", () => {
    expect(read(["data: a\r", "", "\ndata: b\n\n"]).events).toEqual([{ event: "message", data: "a\nb" }])
  })
})
