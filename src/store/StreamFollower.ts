import { createHash } from "node:crypto"
import { Cause, Deferred, Duration, Effect, Exit, FiberId, Random } from "effect"
import type { StreamListener, StreamPosition } from "./Backplane.js"
import * as Epoch from "./Epoch.js"
import type { HistoryEntry } from "./History.js"
import type { ReadLimit } from "./HistoryStore.js"
import { type ChannelListener, lengthPrefixed, type RedisError } from "./Redis.js"
import { entriesOf } from "./RedisStreamScripts.js"

/** The bounds of a listener's catching up. */
export interface FollowerTuning {
  /** one history read of a catch-up, at most (a page) */
  readonly page: ReadLimit
  /** events a listener holds back while it catches up, at most ... */
  readonly holdEvents: number
  /** ... and their frames' bytes (UTF-16 units), at most */
  readonly holdBytes: number
  /** a catch-up Redis failed is tried again after this long, twice as long after each failure in a row ... */
  readonly retryMs: number
  /** ... up to this; each pause is between half and all of its figure, so listeners failed at once spread out */
  readonly retryMaxMs: number
}

/** What a follower asks of its node (`RedisStreams`): the scripts it runs, and where it is counted. */
export interface FollowerNode {
  readonly tuning: FollowerTuning
  /**
   * the `catchUp` script's reply for the user (tried again while Redis is slow): the page after `afterSeq`;
   * `lastFrameSha1` (or "") the SHA-1 of the frame given at `afterSeq`, which Redis checks it still holds there
   */
  readonly catchUpPage: (
    userId: string,
    fresh: Epoch.Epoch,
    afterSeq: number,
    lastFrameSha1: string
  ) => Effect.Effect<ReadonlyArray<number | string>, RedisError>
  /** the `restart` script: ends the user's epoch `epoch` if it is still the stream's, `fresh` the new one */
  readonly restart: (userId: string, epoch: Epoch.Epoch, fresh: Epoch.Epoch) => Effect.Effect<unknown, RedisError>
  /** runs one catch-up pass in one of the node's few recovery slots (every pass does, whatever started it) */
  readonly recovering: <A, E>(pass: Effect.Effect<A, E>) => Effect.Effect<A, E>
  /** a message on the stream's channel this node cannot read (another version's, or a hand's): counted, said */
  readonly unreadable: () => void
  /** completes once Redis is connected */
  readonly whenConnected: Effect.Effect<void>
  /** the node's followers whose epoch must end, not caught up with Redis since (a timer asks them to) */
  readonly diverging: Set<StreamFollower>
  /** runs a follower's catch-up loop in the background */
  readonly fork: (effect: Effect.Effect<void>) => void
}

/** An event as a channel message carries it: with the epoch its seq counts in. */
interface ChannelEvent {
  readonly epoch: string
  readonly entry: HistoryEntry
}

// the one parsed message last seen: every local listener of a user is handed the same string in a row
let lastRaw = ""
let lastEvent: ChannelEvent | undefined

// a seq as Redis numbers them: one given to a listener is its count from then on (a NaN would stop it for good)
const isSeq = (n: number, from: number): boolean => Number.isSafeInteger(n) && n >= from

/**
 * The event of a channel message `e<seq>:<at>:<epoch>:<frame>`, parsed once for all the listeners it goes to;
 * undefined if it is not one (no seq, time or epoch: another version's, or a hand's).
 */
const parseEvent = (message: string): ChannelEvent | undefined => {
  if (message === lastRaw) return lastEvent
  const first = message.indexOf(":")
  const second = message.indexOf(":", first + 1)
  const third = message.indexOf(":", second + 1)
  const seq = Number(message.slice(1, first))
  const at = Number(message.slice(first + 1, second))
  const event: ChannelEvent | undefined =
    first === -1 || second === -1 || third === -1 || third === second + 1 || !isSeq(seq, 1) || !(at >= 0)
      ? undefined
      : { epoch: message.slice(second + 1, third), entry: { seq, at, frame: message.slice(third + 1) } }
  lastRaw = message
  lastEvent = event
  return event
}

/**
 * The position an `r` message's body names: `<epoch>` (a stream made anew) or `<epoch>:<latest seq>`
 * (restarted); undefined if it names none.
 */
const positionOf = (body: string): StreamPosition | undefined => {
  const colon = body.indexOf(":")
  if (colon === -1) return body === "" ? undefined : { epoch: body, latestSeq: 0 }
  const latestSeq = Number(body.slice(colon + 1))
  return colon === 0 || !isSeq(latestSeq, 0) ? undefined : { epoch: body.slice(0, colon), latestSeq }
}

/** What a channel message says: an event, or the position (`r` message) the events after it come after. */
type ChannelItem = ChannelEvent | StreamPosition

const isEvent = (item: ChannelItem): item is ChannelEvent => "entry" in item

// what holding an item back costs, against `FollowerTuning.holdBytes`
const charsOf = (item: ChannelItem): number => isEvent(item) ? item.entry.frame.length : item.epoch.length

/**
 * The pause before a catch-up's next attempt after `misses` passes in a row
 * that Redis failed or that moved nothing: a Redis that keeps refusing (full
 * at its maxmemory, a script error) is asked less and less often, not four
 * times a second by every listener.
 */
const retryPause = (tuning: FollowerTuning, misses: number): Effect.Effect<void> => {
  const full = Math.min(tuning.retryMaxMs, tuning.retryMs * 2 ** Math.min(misses, 20))
  return Effect.flatMap(Random.next, (r) => Effect.sleep(Duration.millis(full / 2 + r * (full / 2))))
}

/**
 * How one local listener follows a user's stream through Redis: the channel
 * listener of its subscription, which gives it the events in seq order and
 * none skipped — after a gap or a reconnection it reads the history after
 * the last seq it gave, a page at a time, holding back (boundedly) what
 * arrives meanwhile. An epoch change (`r` message, or a catch-up that finds
 * another epoch), or events history no longer holds, reset it. Events given
 * only here (`local`: Redis did not take them) make it diverged: its epoch
 * ends (`restart`) once Redis answers again; so does finding that Redis lost
 * events it gave (a failover that lost writes, numbering new events with
 * their seqs).
 */
export class StreamFollower implements ChannelListener {
  private epoch = ""
  private seq = 0
  // the frame given at `seq` (none after a reset): a catch-up checks that Redis still holds that one there
  private lastFrame: string | undefined = undefined
  // its epoch must end when Redis answers: it was given events Redis does not hold at their seqs (given only
  // here, or lost at a failover)
  private mustRestart = false
  // messages held back while the position is not known yet, or while a catch-up reads the history
  private held: Array<ChannelItem> | undefined = []
  private heldChars = 0
  // more arrived than may be held: what was held is dropped, and read from history instead
  private overflowed = false
  // a catch-up is running; another is due when it ends (the subscription was restored meanwhile)
  private catching = false
  private again = false
  // passes Redis failed, or that moved nothing, in a row: each waits longer before the next ...
  private misses = 0
  // ... unless the subscription is restored meanwhile (Redis is back): that ends the wait at once
  private wakePause: Deferred.Deferred<void> | undefined = undefined
  // the subscription ended: a catch-up in progress stops
  private closed = false
  // the position is known (until then what arrives is held, and the position read covers any gap)
  private positioned = false

  constructor(
    private readonly node: FollowerNode,
    private readonly userId: string,
    private readonly listener: StreamListener
  ) {}

  /** The last seq the listener was given. */
  get lastSeq(): number {
    return this.seq
  }

  /** Its epoch must end (it was given events Redis does not hold at their seqs), and it has not caught up since. */
  get diverged(): boolean {
    return this.mustRestart
  }

  /** Subscribed, and the stream's position read: the events up to it are the listener's own count. */
  started(position: StreamPosition): void {
    this.epoch = position.epoch
    this.seq = position.latestSeq
    this.positioned = true
    if (!this.release()) this.catchUp()
  }

  /** Gives an event delivered only on this node (Redis did not take it). */
  local(entry: HistoryEntry): void {
    this.setDiverged(true)
    this.give(entry)
  }

  /** The subscription ended. */
  close(): void {
    this.closed = true
    this.held = undefined
    this.setDiverged(false)
  }

  onMessage(message: string): void {
    const kind = message.charCodeAt(0)
    if (kind === 115 /* s */) return this.signal(message)
    // a kind this version does not know (a newer node's, during a rolling upgrade) is not an event
    if (kind !== 101 /* e */ && kind !== 114 /* r */) return
    const item = kind === 114 ? positionOf(message.slice(1)) : parseEvent(message)
    // one of a known kind it cannot read (no seq, time or epoch) is none either: were it given, the listener's count
    // would be lost
    if (item === undefined) return this.node.unreadable()
    if (this.held !== undefined) this.hold(item)
    else if (this.stale(item)) return
    else if (isEvent(item) && (item.entry.seq > this.seq + 1 || this.mustRestart)) {
      // a message was lost (or Redis's seqs overlap ones given locally): what is missing is read first
      this.held = []
      this.hold(item)
      this.catchUp()
    } else if (
      isEvent(item) && item.entry.seq === this.seq && this.lastFrame !== undefined && item.entry.frame !== this.lastFrame
    ) {
      // another event at the seq given last (a late copy of that one has its frame): Redis lost what this
      // listener was given and numbers new events with those seqs (a failover that kept this subscription)
      this.setDiverged(true)
      this.catchUp()
    } else this.take(item)
  }

  // `s<sender id length>:<sender id><frame>`: a transient frame (typing) for the user's other connections
  private signal(message: string): void {
    const sender = lengthPrefixed(message, 1)
    if (sender === undefined) return this.node.unreadable()
    this.listener.signal(message.slice(sender.end), sender.text)
  }

  onRestored(): void {
    this.misses = 0
    if (this.wakePause !== undefined) Deferred.unsafeDone(this.wakePause, Exit.void)
    this.catchUp()
  }

  /** Catches up with Redis: at once, or after the catch-up running now (nothing before `started`, after `close`). */
  catchUp(): void {
    if (!this.positioned || this.closed) return
    if (this.held === undefined) this.held = []
    if (this.catching) {
      this.again = true
      return
    }
    this.catching = true
    // where the last pass started: one that moved nothing is not run again at once (a hole Redis cannot fill
    // waits for the next message or the retry pause, never a busy loop of scripts)
    let before = ""
    const loop: Effect.Effect<void> = Effect.suspend(() => {
      this.again = false
      before = this.progress()
      // in a recovery slot of the node's (asked for again each pass: who waited gets it first); closed while it
      // waited for one: nothing to read (nor to restart)
      const pass = this.node.recovering(Effect.suspend(() => (this.closed ? Effect.void : this.pass())))
      // then what was held goes out (or not: see `release`), and the catch-up ends if nothing is missing — in
      // one step, so no message can ask for a catch-up in between and be forgotten; within what a failure sends
      // to the retry below, so a listener that throws while given what was held cannot end the catching up
      return Effect.zipRight(
        pass,
        Effect.sync(() => {
          if (this.closed) return true
          if (this.again || !this.release()) return false
          this.misses = 0
          this.catching = false
          return true
        })
      )
    }).pipe(
      Effect.matchCauseEffect({
        onSuccess: (done) =>
          Effect.suspend(() => {
            if (done) return Effect.void
            // a pass that moved nothing waits, longer each time in a row, as a failed one does
            if (before === this.progress()) return Effect.zipRight(this.pause(), loop)
            this.misses = 0
            return loop
          }),
        // Redis slow or away (or a defect: a listener that threw): what arrives is held back (boundedly) until
        // a pass goes through again
        onFailure: (cause) =>
          (Cause.isDie(cause)
            ? Effect.logError("backplane: a catch-up died (a defect), trying again", cause)
            : Effect.logDebug("backplane: catching up failed, trying again", cause)).pipe(
            Effect.zipRight(this.pause()),
            Effect.zipRight(this.node.whenConnected),
            Effect.zipRight(Effect.suspend(() => (this.closed ? Effect.void : loop)))
          )
      })
    )
    this.node.fork(loop)
  }

  // one pass over the history after the last seq, up to the latest seq it finds, a page at a time
  private pass(): Effect.Effect<void, RedisError> {
    return Effect.gen(this, function*() {
      this.overflowed = false
      const fresh = yield* Epoch.make
      if (this.mustRestart) yield* this.node.restart(this.userId, this.epoch, fresh)
      let target = Number.POSITIVE_INFINITY
      for (let first = true; this.seq < target && !this.closed; first = false) {
        const lastFrameSha1 = first && this.lastFrame !== undefined ? createHash("sha1").update(this.lastFrame).digest("hex") : ""
        const reply = yield* this.node.catchUpPage(this.userId, fresh, this.seq, lastFrameSha1)
        const current = String(reply[0])
        const latest = Number(reply[1])
        const oldest = Number(reply[2])
        if (first) target = latest
        if (current !== this.epoch) {
          // the past this listener counted is gone: its clients resume, and read what the new epoch holds (a
          // restart's carried events) from history; this page was read after a seq of the old epoch
          this.reset({ epoch: current, latestSeq: latest })
          break
        }
        if (latest < this.seq || Number(reply[3]) === 1) {
          // Redis lost events this listener gave (a failover lost writes not yet replicated), and gives or
          // gave their seqs to other events, which other nodes' clients see: as after local deliveries, the
          // epoch ends (the next pass restarts it)
          if (this.closed) break
          this.setDiverged(true)
          this.again = true
          break
        }
        // what the listener lacks is no longer held (it fell too far behind): its clients resume from history
        const heldFrom = oldest === -1 ? latest + 1 : oldest
        if (heldFrom > this.seq + 1 && this.seq < latest) {
          this.reset({ epoch: current, latestSeq: Math.min(heldFrom, latest + 1) - 1 })
        }
        const entries = entriesOf(reply, 4)
        if (entries.length === 0) break
        for (const entry of entries) this.give(entry)
      }
    })
  }

  // what a pass may move: one that changed none of it moved nothing
  private progress(): string {
    return `${this.epoch}:${this.seq}:${this.mustRestart}`
  }

  private pause(): Effect.Effect<void> {
    return Effect.suspend(() => {
      const wake = this.wakePause = Deferred.unsafeMake<void>(FiberId.none)
      return Effect.raceFirst(retryPause(this.node.tuning, this.misses++), Deferred.await(wake))
    })
  }

  private give(entry: HistoryEntry): void {
    if (entry.seq <= this.seq) return
    this.seq = entry.seq
    this.lastFrame = entry.frame
    this.listener.event(entry)
  }

  // `diverged`, and this follower in or out of the node's `diverging` set
  private setDiverged(to: boolean): void {
    this.mustRestart = to
    if (to) this.node.diverging.add(this)
    else this.node.diverging.delete(this)
  }

  private reset(to: StreamPosition): void {
    this.epoch = to.epoch
    this.seq = to.latestSeq
    this.lastFrame = undefined
    this.setDiverged(false)
    this.listener.reset?.(to)
  }

  private hold(item: ChannelItem): void {
    if (this.overflowed) return
    this.held!.push(item)
    this.heldChars += charsOf(item)
    if (this.held!.length > this.node.tuning.holdEvents || this.heldChars > this.node.tuning.holdBytes) {
      // never unbounded: what is held now (and what comes until the catch-up's page ends) is read from history
      this.overflowed = true
      this.held = []
      this.heldChars = 0
    }
  }

  // an event of another epoch than the listener's: an older one's (a catch-up moved the listener to the
  // new epoch before that epoch's `r` message came; a newer one's events all come after it) — never given
  private stale(item: ChannelItem): boolean {
    return isEvent(item) && item.epoch !== this.epoch
  }

  // an item held or received: an event, or the position (`r` message) the events after it come after
  private take(item: ChannelItem): void {
    if (!isEvent(item)) {
      if (item.epoch !== this.epoch) this.reset(item)
    } else if (!this.stale(item)) this.give(item.entry)
  }

  // caught up: what was held goes out, unless it was dropped or has a hole of its own (then again)
  private release(): boolean {
    if (this.overflowed) return false
    const waiting = this.held ?? []
    let i = 0
    try {
      for (; i < waiting.length; i++) {
        const item = waiting[i]!
        if (isEvent(item) && !this.stale(item) && item.entry.seq > this.seq + 1) {
          this.keep(waiting.slice(i))
          return false
        }
        this.take(item)
      }
    } catch (error) {
      // the listener threw on item i: what was taken (it too) is not taken again by the retry
      this.keep(waiting.slice(i + 1))
      throw error
    }
    this.held = undefined
    this.heldChars = 0
    return true
  }

  // what is still held back, and its size
  private keep(items: Array<ChannelItem>): void {
    this.held = items
    this.heldChars = 0
    for (const item of items) this.heldChars += charsOf(item)
  }
}
