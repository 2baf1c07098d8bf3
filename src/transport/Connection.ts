import type { Duplex } from "node:stream"
import type { WebSocket } from "ws"
import type { FrameConnection } from "../pipeline/FrameConnection.js"
import { CloseCode } from "../protocol/ErrorCode.js"
import type { StreamSubscriber } from "../state/UserStream.js"
import type { HistoryEntry } from "../store/History.js"

/** Bounds of one connection's outbound buffer (`ws.send` itself buffers without limit). */
export interface OutboundLimits {
  readonly maxBufferedBytes: number
  readonly maxBufferedFrames: number
}

/** The longest a rate-limited client's reading is paused: well inside two heartbeats, whose pongs wait too. */
const MAX_PAUSE_MS = 5_000

/**
 * One open WebSocket of an authenticated user: the only thing that writes to
 * the socket. It bounds what is buffered for a client that stops reading
 * (closing it with 1013), and it keeps stream events in seq order around a
 * `resume`:
 *
 * - events newer than the greeting's `last_seq` are delivered live, except
 *   that a connection that has not sent a frame yet holds them for up to
 *   `resumeWindowMs`, so a reconnecting client's immediate `resume` replays
 *   them in order instead of racing them;
 * - a `resume` replays from history what its client lacks (the stream
 *   decides what that is); a client drops what it already has. Live events
 *   that arrive while the resume reads history wait for its replay.
 */

export class Connection implements FrameConnection, StreamSubscriber {
  /** the highest seq sent on this connection in stream order: never sent live again */
  private delivered: number
  private held: Array<HistoryEntry> | undefined = undefined
  /** the frames' length of what is held (UTF-16 units) */
  private heldChars = 0
  /** a resume is reading history: live events wait for its replay, whatever the window says */
  private awaitingReplay = false
  private holdTimer: ReturnType<typeof setTimeout> | undefined = undefined
  private pauseTimer: ReturnType<typeof setTimeout> | undefined = undefined
  /** reasons not to read the socket now (a full inbox, a rate-limit pause): reading resumes when none is left */
  private readHolds = 0
  private pendingFrames = 0
  /** how far a replay may take the outbound buffer past its bounds, until it is back within them */
  private replayAllowance: { readonly bytes: number; readonly frames: number } | undefined = undefined
  private replaying = false
  private closing = false
  private corked = false
  /** heartbeat: a ping is out and no pong has come back yet */
  awaitingPong = false
  /** heartbeat: consecutive pings left unanswered */
  missedPongs = 0
  // assigned, not a class field: under tsx (tests, `npm run dev`) a field's arrow is named per
  // instance, which costs a few hundred bytes more for every connection
  private readonly onWritten: () => void

  constructor(
    readonly id: string,
    readonly userId: string,
    private readonly ws: WebSocket,
    private readonly limits: OutboundLimits,
    openedSeq: number,
    private readonly resumeWindowMs: number,
    private readonly onSlowConsumer: () => void
  ) {
    this.delivered = openedSeq
    this.onWritten = () => {
      this.pendingFrames--
    }
  }

  /** Sends a frame that is not part of the stream (ack, error, pong, typing, greeting). */
  send(frame: string): void {
    if (this.closing) return
    this.corkUntilNextTick()
    this.pendingFrames++
    this.ws.send(frame, this.onWritten)
    if (this.overBounds()) {
      this.onSlowConsumer()
      this.close(CloseCode.slowConsumer, "slow consumer")
    }
  }

  /**
   * Past the outbound bounds? A replay may take the connection past them by
   * its own size (its frames are already held in history, and a client that
   * missed more than the bounds must still be able to catch up); the
   * allowance ends once the socket is back within the bounds.
   */
  private overBounds(): boolean {
    const bytes = this.ws.bufferedAmount
    const { maxBufferedBytes, maxBufferedFrames } = this.limits
    if (this.replayAllowance !== undefined) {
      const within = bytes <= maxBufferedBytes && this.pendingFrames <= maxBufferedFrames
      // while the replay itself is being sent the buffer is still filling: it ends only after
      if (within && !this.replaying) this.replayAllowance = undefined
      else {
        return bytes > maxBufferedBytes + this.replayAllowance.bytes ||
          this.pendingFrames > maxBufferedFrames + this.replayAllowance.frames
      }
    }
    return bytes > maxBufferedBytes || this.pendingFrames > maxBufferedFrames
  }

  /** Delivers one stream event live, unless a replay covers it or it is held for a resume. */
  deliver(entry: HistoryEntry): void {
    if (entry.seq <= this.delivered) return
    if (this.held !== undefined) {
      this.held.push(entry)
      this.heldChars += entry.frame.length
      // held no more than the outbound buffer may: a resume that reads long (a slow Redis) must not grow it
      // without bound; the client is closed as a slow consumer, and history keeps what it missed
      if (this.held.length > this.limits.maxBufferedFrames || this.heldChars > this.limits.maxBufferedBytes) {
        this.onSlowConsumer()
        this.close(CloseCode.slowConsumer, "slow consumer")
        return
      }
      if (this.holdTimer === undefined) {
        this.holdTimer = setTimeout(() => this.releaseHeld(), this.resumeWindowMs)
        this.holdTimer.unref()
      }
      return
    }
    this.delivered = entry.seq
    this.send(entry.frame)
  }

  /** Starts holding live events until the first client frame (or the window ends). */
  holdForResume(): void {
    if (this.resumeWindowMs > 0) this.held = []
  }

  /** The client sent a frame that is not a resume: nothing to wait for any more (unless a resume's replay is due). */
  releaseHeld(): void {
    if (this.awaitingReplay) return
    const held = this.held
    if (held === undefined) return
    this.releaseTimer()
    for (const entry of held) this.deliver(entry)
  }

  /** A resume is reading history: live events wait for its `replay`, so that none goes out before it. */
  holdUntilReplay(): void {
    this.awaitingReplay = true
    this.held ??= []
  }

  /** The resume that was reading history failed: what was held goes out live. */
  cancelReplay(): void {
    this.awaitingReplay = false
    this.releaseHeld()
  }

  /**
   * Replays `entries` (what a resume decided the client lacks, in seq order)
   * and counts everything up to `currentSeq` as sent (PROTOCOL §6:
   * at-least-once on the wire). While live events are still held for this
   * resume nothing newer went out yet, so the replay comes first, in order.
   */
  replay(entries: ReadonlyArray<HistoryEntry>, currentSeq: number): number {
    const held = this.held
    this.awaitingReplay = false
    this.releaseTimer()
    let bytes = 0
    for (const entry of entries) bytes += entry.frame.length * 3 // at most 3 UTF-8 bytes per UTF-16 unit
    // the larger of two replays, never their sum: a client that asks again before the
    // last replay left its buffer goes over the bounds, and is closed as a slow consumer
    this.replayAllowance = {
      bytes: Math.max(this.replayAllowance?.bytes ?? 0, bytes),
      frames: Math.max(this.replayAllowance?.frames ?? 0, entries.length)
    }
    this.replaying = true
    for (const entry of entries) this.send(entry.frame)
    this.replaying = false
    this.delivered = Math.max(this.delivered, currentSeq)
    // what was held past `currentSeq` (published while history was read) follows the replay, in order
    if (held !== undefined) for (const entry of held) this.deliver(entry)
    return entries.length
  }

  /**
   * Stops reading the client's frames for `ms` (at most `MAX_PAUSE_MS`): what
   * it sends meanwhile waits in its own socket, neither read nor parsed, and
   * TCP slows the sender down. Pausing again while paused changes nothing.
   */
  pauseReading(ms: number): void {
    if (this.closing || this.pauseTimer !== undefined) return
    this.holdReading()
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = undefined
      this.releaseReading()
    }, Math.min(ms, MAX_PAUSE_MS))
  }

  /** Is the socket's reading stopped (a full inbox, a rate-limit pause)? */
  get readingHeld(): boolean {
    return this.readHolds > 0
  }

  /** Stops reading the socket until `releaseReading` is called as often. */
  holdReading(): void {
    if (this.closing) return
    if (this.readHolds++ === 0) this.ws.pause()
  }

  /** Ends one `holdReading`; the last one resumes reading. */
  releaseReading(): void {
    if (this.readHolds === 0) return
    if (--this.readHolds === 0 && !this.closing) this.ws.resume()
  }

  /** The stream's epoch ended: closed as by a restart, so the client reconnects and resumes (with a gap). */
  closeForResume(): void {
    this.close(CloseCode.serviceRestart, "stream restarted")
  }

  /** Closes with `code`; no frame is sent after this. */
  close(code: number, reason?: string): void {
    if (this.closing) return
    this.closing = true
    this.releaseTimer()
    clearTimeout(this.pauseTimer)
    if (this.ws.readyState === 0 || this.ws.readyState === 1) this.ws.close(code, reason)
  }

  /** Drops the socket without a closing handshake (a peer that does not answer). */
  terminate(): void {
    this.closing = true
    this.releaseTimer()
    clearTimeout(this.pauseTimer)
    this.ws.terminate()
  }

  /** Sends a heartbeat ping. */
  ping(): void {
    if (this.closing) return
    this.awaitingPong = true
    this.ws.ping()
  }

  /** The peer answered a ping. */
  onPong(): void {
    this.awaitingPong = false
    this.missedPongs = 0
  }

  /**
   * Coalesces the frames written in one tick (a burst of acks, a fan-out)
   * into one syscall instead of one `writev` each — that syscall was the
   * largest single cost of an ack. `ws` has no API for it; its socket does.
   */
  private corkUntilNextTick(): void {
    if (this.corked) return
    const socket = (this.ws as unknown as { readonly _socket?: Duplex })._socket
    if (socket === undefined) return
    this.corked = true
    socket.cork()
    process.nextTick(() => {
      this.corked = false
      socket.uncork()
    })
  }

  private releaseTimer(): void {
    if (this.holdTimer !== undefined) clearTimeout(this.holdTimer)
    this.holdTimer = undefined
    this.held = undefined
    this.heldChars = 0
  }
}
