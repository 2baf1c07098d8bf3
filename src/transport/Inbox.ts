import type { RawFrame } from "../pipeline/FrameConnection.js"

/** A raw client frame as the socket delivered it: text, or `null` for a binary frame (the frame path's own type). */
export type { RawFrame }

/** Who processes an inbox's frames (the connection they arrived on). */
export interface InboxReader {
  /** Starts taking frames until `take` returns undefined: a burst arrived. */
  startDrain(): void
  /** A frame found the inbox full. */
  overflow(frame: RawFrame): void
  /** The inbox is full: stop reading the socket (TCP then slows the client down). */
  holdReading(): void
  /** The inbox has room again: read on. */
  releaseReading(): void
}

/**
 * The frames of one connection, processed one at a time in arrival order
 * (the platform forks a fiber per frame; we fork one per burst instead).
 * A burst starts after the socket's current read (a microtask later), so
 * that every frame of one read goes through one drain.
 * Bounded in frames and in characters: once full it asks the reader to stop
 * reading the socket until half of it is free again, and a frame that still
 * arrives (ws had already read it) goes to the reader's `overflow`.
 * An empty inbox takes any frame (the socket caps one at `MAX_MESSAGE_BYTES`).
 */
export class Inbox {
  // made on the first frame: most connections sit idle
  private queue: Array<RawFrame> | undefined = undefined
  private next = 0
  private draining = false
  private chars = 0
  private holding = false

  constructor(
    private readonly reader: InboxReader,
    private readonly maxFrames: number,
    private readonly maxChars: number
  ) {}

  /** Accepts a frame from the socket. */
  push(frame: RawFrame): void {
    const queue = this.queue ??= []
    const waiting = queue.length - this.next
    const size = frame === null ? 0 : frame.length
    if (waiting >= this.maxFrames || (waiting > 0 && this.chars + size > this.maxChars)) {
      // full for this frame: read no further either (the reader then knows why it refuses)
      this.hold()
      return this.reader.overflow(frame)
    }
    queue.push(frame)
    this.chars += size
    if (waiting + 1 >= this.maxFrames || this.chars >= this.maxChars) this.hold()
    if (this.draining) return
    this.draining = true
    queueMicrotask(() => this.reader.startDrain())
  }

  /** The next frame to process, or undefined (and no longer draining) when empty. */
  take(): RawFrame | undefined {
    if (this.queue === undefined || this.next === this.queue.length) {
      this.queue = undefined
      this.next = 0
      this.draining = false
      return undefined
    }
    const frame = this.queue[this.next++]!
    if (frame !== null) this.chars -= frame.length
    if (this.holding && this.queue.length - this.next <= this.maxFrames / 2 && this.chars <= this.maxChars / 2) {
      this.holding = false
      this.reader.releaseReading()
    }
    return frame
  }

  private hold(): void {
    if (this.holding) return
    this.holding = true
    this.reader.holdReading()
  }
}
