/** A raw client frame as its connection hands it over: text, or `null` for a binary frame. */
export type RawFrame = string | null

/**
 * What the frame path needs of the connection a frame arrived on — the
 * transport's `Connection` satisfies it; the pipeline knows no socket.
 */
export interface FrameConnection {
  /** the authenticated user: whose message rate a frame pays from */
  readonly userId: string
  /** Sends one reply frame (text) to the client. */
  send(frame: string): void
  /** Stops reading the client's frames for `ms`: a rate-limited client waits in its own socket. */
  pauseReading(ms: number): void
  /** The client sent a frame that is not a `resume`: stream events held for a resume go out. */
  releaseHeld(): void
  /** Closes the connection after its reply (a handler asked for it: `disconnect`). */
  close(code: number, reason: string): void
}
