/** A raw client frame as the socket delivered it: text, or `null` for a binary frame. */
export type RawFrame = string | null

/** Who processes an inbox's frames (the connection they arrived on). */
export interface InboxReader {
  /** Starts taking frames until `take` returns undefined: a burst arrived. */
  startDrain(): void
  /** Answers a frame that found the inbox full. */
  overflow(frame: RawFrame): void
}

/**
 * The frames of one connection, processed one at a time in arrival order
 * (the platform forks a fiber per frame; we fork one per burst instead).
 * A burst starts after the socket's current read (a microtask later), so
 * that every frame of one read goes through one drain.
 * Bounded: past `maxFrames` waiting, the reader's `overflow` answers the frame instead.
 */
export class Inbox {
  // made on the first frame: most connections sit idle
  private queue: Array<RawFrame> | undefined = undefined
  private next = 0
  private draining = false

  constructor(
    private readonly reader: InboxReader,
    private readonly maxFrames: number
  ) {}

  /** Accepts a frame from the socket. */
  push(frame: RawFrame): void {
    const queue = this.queue ??= []
    if (queue.length - this.next >= this.maxFrames) return this.reader.overflow(frame)
    queue.push(frame)
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
    return this.queue[this.next++]
  }
}
