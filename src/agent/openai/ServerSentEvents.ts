/**
 * A reader of server-sent events (the WHATWG `text/event-stream` format) fed
 * text as it arrives, in any pieces. Its cost is linear in the text: each
 * character is looked at once, and a line cut by a read is kept as pieces,
 * joined once when it ends — a model server that falls behind and sends
 * hundreds of events in one read costs no more per event than one that
 * keeps up (`@effect/experimental`'s `Sse` parser rescans its buffer per event).
 * Import as a namespace: `import * as ServerSentEvents from "./ServerSentEvents.js"`.
 */

/** One dispatched event: its `event:` name ("message" when it had none) and its `data:` lines joined by "\n". */
export interface Event {
  readonly event: string
  readonly data: string
}

const LF = 10
const CR = 13

/** The most characters one event may hold (its lines, fields included): 1 MiB of text. */
export const defaultMaxEventChars = 1_048_576

/** What `feed` returns when an event outgrows `maxEventChars`: the reader cannot go on. */
export interface Oversized {
  readonly _tag: "Oversized"
  readonly maxEventChars: number
}

/**
 * The reader's state between reads: the unfinished line, and the fields of
 * the event being read. `id:` and `retry:` are skipped: they only matter to a
 * browser's `EventSource` reconnecting.
 */
export class Reader {
  /** the pieces of a line that no read has ended yet */
  private pending: Array<string> = []
  private data: Array<string> = []
  private name = ""
  /** the last read ended with CR: a LF starting the next one belongs to that line end */
  private afterCR = false
  /**
   * What the event being read holds, in characters: the whole of every read
   * one of its pieces came from (a slice of a string keeps all of it alive),
   * plus one per data line (an empty one still takes an array slot).
   */
  private eventChars = 0
  /** the read `text` is charged to the event already */
  private charged = false

  constructor(private readonly maxEventChars: number = defaultMaxEventChars) {}

  /**
   * Reads `text`, appending every event it completes to `out`; an event
   * longer than `maxEventChars` is an error (a server that never ends a line
   * must not grow the buffer without end).
   */
  feed(text: string, out: Array<Event>): Oversized | undefined {
    // an empty read says nothing, not even that a CR was not followed by LF
    if (text.length === 0) return undefined
    this.charged = false
    let start = this.afterCR && text.charCodeAt(0) === LF ? 1 : 0
    this.afterCR = false
    const length = text.length
    for (let i = start; i < length; i++) {
      const code = text.charCodeAt(i)
      if (code !== LF && code !== CR) continue
      let line = text.slice(start, i)
      if (this.pending.length > 0) {
        this.pending.push(line)
        line = this.pending.join("")
        this.pending = []
      }
      this.line(line, text, out)
      if (this.eventChars > this.maxEventChars) return { _tag: "Oversized", maxEventChars: this.maxEventChars }
      if (code === CR) {
        if (i + 1 === length) this.afterCR = true
        else if (text.charCodeAt(i + 1) === LF) i++
      }
      start = i + 1
    }
    if (start < length) {
      this.pending.push(start === 0 ? text : text.slice(start))
      this.charge(text)
    }
    return this.eventChars > this.maxEventChars ? { _tag: "Oversized", maxEventChars: this.maxEventChars } : undefined
  }

  private charge(text: string): void {
    if (this.charged) return
    this.charged = true
    this.eventChars += text.length
  }

  private line(line: string, text: string, out: Array<Event>): void {
    if (line.length === 0) {
      // a blank line dispatches the event; one without data is none
      if (this.data.length > 0) out.push({ event: this.name.length > 0 ? this.name : "message", data: this.data.join("\n") })
      this.data = []
      this.name = ""
      this.eventChars = 0
      this.charged = false
      return
    }
    const colon = line.indexOf(":")
    if (colon === 0) return // a comment (servers send them as keep-alives)
    const field = colon === -1 ? line : line.slice(0, colon)
    // one space after the colon is part of the syntax, not of the value
    const valueStart = colon === -1 ? line.length : line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1
    if (field === "data") {
      this.data.push(line.slice(valueStart))
      this.eventChars += 1
      this.charge(text)
    } else if (field === "event") {
      this.name = line.slice(valueStart)
      this.charge(text)
    }
  }
}
