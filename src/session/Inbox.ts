/** A raw client frame as the socket delivered it: text, or `null` for a binary frame. */
export type RawFrame = string | null

/**
 * The frames of one connection, processed one at a time in arrival order
 * (the platform forks a fiber per frame; we fork one per burst instead).
 * Bounded: past `maxFrames` waiting, `onOverflow` answers the frame instead.
 */
export class Inbox {
  private queue: Array<RawFrame> = []
  private next = 0
  private draining = false

  constructor(
    private readonly startDrain: () => void,
    private readonly maxFrames: number,
    private readonly onOverflow: (frame: RawFrame) => void
  ) {}

  /** Accepts a frame from the socket. */
  push(frame: RawFrame): void {
    if (this.queue.length - this.next >= this.maxFrames) return this.onOverflow(frame)
    this.queue.push(frame)
    if (this.draining) return
    this.draining = true
    this.startDrain()
  }

  /** The next frame to process, or undefined (and no longer draining) when empty. */
  take(): RawFrame | undefined {
    if (this.next === this.queue.length) {
      this.queue = []
      this.next = 0
      this.draining = false
      return undefined
    }
    return this.queue[this.next++]
  }
}
