import { Effect, Exit } from "effect"
import * as ServerFrame from "../protocol/ServerFrame.js"
import type { StreamEvent } from "../protocol/StreamEvents.js"
import type { Signal } from "../protocol/Notices.js"
import type { Backplane, PendingEvent, StreamListener, StreamPosition } from "../store/Backplane.js"
import type { Epoch } from "../store/Epoch.js"
import type { HistoryEntry, HistoryOptions } from "../store/History.js"
import { defaultReadLimit, type HistoryStore, type ReadLimit } from "../store/HistoryStore.js"
import * as MemoryStreams from "../store/MemoryStreams.js"
import * as ResumePlan from "./ResumePlan.js"

/**
 * One of the user's open connections on this node, as the stream sees it
 * (transport's `Connection` is one): it takes the stream's events in seq
 * order, the signals of the user's other connections, and a resume's replay.
 */
export interface StreamSubscriber {
  readonly id: string
  /** a live stream event (one already sent, or covered by a replay, is skipped) */
  deliver(entry: HistoryEntry): void
  /** a frame outside the stream (a signal such as typing) */
  send(frame: string): void
  /** holds live events until the next `replay` (a resume is reading history) */
  holdUntilReplay(): void
  /** stops holding live events for a replay and delivers them (the resume failed) */
  cancelReplay(): void
  /** sends what a resume decided the client lacks and counts everything up to `currentSeq` as sent; returns how many */
  replay(entries: ReadonlyArray<HistoryEntry>, currentSeq: number): number
  /**
   * the stream's epoch ended under the connection (its past lost): the
   * client's position means nothing any more, so it must reconnect and
   * resume, which reports the gap (PROTOCOL §6)
   */
  closeForResume(): void
}

/**
 * Pays for a resume's replay, given the characters it sends (the user's
 * message budget: one small frame must not buy megabytes of output again and again).
 */
export type ReplayCharge = (chars: number) => void

/**
 * A user's stream on this node (PROTOCOL §6): every event gets the user's
 * next `seq` from the `Backplane`, which keeps it in history and hands it to
 * every node that serves the user; this node's listener then delivers it to
 * the user's connections here. On the in-memory backplane a publish is
 * synchronous, so seq order is delivery order on every connection. Its
 * `epoch` names this run of seqs: it belongs to the stream in the store, and
 * a stream made without its past gets another one.
 */
export class UserStream {
  /** what the backplane calls: one object per user, with no closures of its own (idle users are many) */
  private readonly local = new LocalFanout()

  private constructor(
    readonly userId: string,
    private readonly backplane: Backplane["Type"],
    private readonly history: HistoryStore["Type"],
    /** one history read of a resume, at most */
    private readonly page: ReadLimit = defaultReadLimit
  ) {}

  /** The user's stream, subscribed to the backplane until `close` (the user's session ends). */
  static make(
    userId: string,
    backplane: Backplane["Type"],
    history: HistoryStore["Type"],
    page?: ReadLimit
  ): Effect.Effect<UserStream> {
    const stream = new UserStream(userId, backplane, history, page)
    return Effect.map(backplane.subscribe(userId, stream.local), (position) => stream.opened(position))
  }

  /**
   * `make` done at once (`nowMs`: the clock's time), where the backplane
   * subscribes without waiting (in memory); undefined where it cannot.
   */
  static makeNow(
    userId: string,
    backplane: Backplane["Type"],
    history: HistoryStore["Type"],
    nowMs: number
  ): UserStream | undefined {
    if (backplane.subscribeNow === undefined) return undefined
    const stream = new UserStream(userId, backplane, history)
    return stream.opened(backplane.subscribeNow(userId, stream.local, nowMs))
  }

  /** Leaves the backplane: this node no longer serves the user. */
  get close(): Effect.Effect<void> {
    return this.backplane.unsubscribe(this.userId, this.local)
  }

  /** A stream of its own, on an in-memory store of its own: reaches no other stream (shadow runs, tests). */
  static detached(userId: string, options: HistoryOptions): UserStream {
    const streams = new MemoryStreams.MemoryStreams(options)
    const stream = new UserStream(userId, MemoryStreams.backplane(streams), MemoryStreams.historyStore(streams))
    return stream.opened(streams.subscribe(userId, stream.local, Date.now()))
  }

  private opened(position: StreamPosition): this {
    this.local.epoch = position.epoch
    this.local.latest = position.latestSeq
    return this
  }

  /** The user's connections on this node. */
  get connections(): Set<StreamSubscriber> {
    return this.local.connections
  }

  /** The stream's epoch (PROTOCOL §6). */
  get epoch(): Epoch {
    return this.local.epoch
  }

  /** The latest seq of the stream this node knows of, 0 before the first event. */
  get lastSeq(): number {
    return this.local.latest
  }

  /** Appends an event to the stream and fans it out to every node; returns its seq. */
  publish(event: StreamEvent): Effect.Effect<number> {
    return Effect.clockWith((clock) => this.backplane.publish(this.userId, pendingOf(event, clock.unsafeCurrentTimeMillis())))
  }

  /** `publish` without waiting for the seq where the backplane offers it (`Backplane.publishNoWait`): in order all the same. */
  publishNoWait(event: StreamEvent): Effect.Effect<void> {
    const publishNoWait = this.backplane.publishNoWait
    if (publishNoWait === undefined) return Effect.asVoid(this.publish(event))
    return Effect.clockWith((clock) => publishNoWait(this.userId, pendingOf(event, clock.unsafeCurrentTimeMillis())))
  }

  /**
   * Replays to `subscriber` what a client at `request`'s position missed
   * (PROTOCOL §4 `resume`). History is read a page at a time (`ReadLimit`),
   * up to the latest seq the first page saw — what comes after reaches the
   * connection live — so no read is larger than a page and the whole replay
   * is no larger than what history holds (its own bounds). Events dropped
   * from history while the pages are read leave a hole: the replay then
   * starts after it, and the client is told of the gap.
   */
  resume(
    subscriber: StreamSubscriber,
    request: ResumePlan.ResumeRequest,
    charge: ReplayCharge = free
  ): Effect.Effect<ResumePlan.ResumeResult> {
    return Effect.suspend(() => {
      const epoch = this.local.epoch
      const after = ResumePlan.readAfter(request, epoch)
      // events published while history is read wait, so that none goes out before the replay
      subscriber.holdUntilReplay()
      return Effect.onExit(
        Effect.gen(this, function*() {
          const first = yield* this.history.read(this.userId, after, this.page)
          const latest = first.latestSeq
          const decided = ResumePlan.plan(request, { epoch, latestSeq: latest, oldestSeq: first.oldestSeq })
          let gap = decided.gap
          let replay: Array<HistoryEntry> = []
          if (decided.after !== undefined) {
            replay = first.entries.filter((entry) => entry.seq <= latest)
            let last = first.entries.at(-1)?.seq
            while (last !== undefined && last < latest) {
              const next = (yield* this.history.read(this.userId, last, this.page)).entries
              if (next.length === 0) break
              if (next[0]!.seq !== last + 1) {
                // dropped from history while the pages were read: what is before the hole cannot be replayed whole
                replay = []
                gap = true
              }
              for (const entry of next) if (entry.seq <= latest) replay.push(entry)
              last = next.at(-1)!.seq
            }
          }
          let chars = 0
          for (const entry of replay) chars += entry.frame.length
          charge(chars)
          return { replayed: subscriber.replay(replay, latest), gap, epoch }
        }),
        (exit) => Exit.isFailure(exit) ? Effect.sync(() => subscriber.cancelReplay()) : Effect.void
      )
    })
  }

  /**
   * `resume` for the connection `clientId` of this user; one that is not on
   * the stream (a shadow's sandbox, a test) gets nothing, and is told what
   * it would have been replayed.
   */
  resumeClient(
    clientId: string,
    request: ResumePlan.ResumeRequest,
    charge?: ReplayCharge
  ): Effect.Effect<ResumePlan.ResumeResult> {
    return Effect.suspend(() => {
      for (const connection of this.connections) {
        if (connection.id === clientId) return this.resume(connection, request, charge)
      }
      return this.resume(nowhere, request, charge)
    })
  }

  /**
   * Sends the notice `{type, payload}` to the user's connections on every
   * node but `fromClientId` (typing): no seq, no history.
   */
  signal(fromClientId: string, type: Signal["type"], payload: Signal["payload"]): Effect.Effect<void> {
    return Effect.suspend(() => this.backplane.signal(this.userId, ServerFrame.notice(type, payload), fromClientId))
  }
}

/**
 * The stream's listener on the backplane: it hands every event and signal to
 * the user's connections on this node, and keeps the latest seq it saw.
 * Methods, not arrow-function fields: no closures made per user.
 */
class LocalFanout implements StreamListener {
  readonly connections = new Set<StreamSubscriber>()
  epoch: Epoch = ""
  latest = 0

  event(entry: HistoryEntry): void {
    if (entry.seq > this.latest) this.latest = entry.seq
    for (const connection of this.connections) connection.deliver(entry)
  }

  signal(frame: string, senderId: string): void {
    for (const connection of this.connections) if (connection.id !== senderId) connection.send(frame)
  }

  /**
   * This listener cannot go on from the last event it gave (a new epoch, or events it missed no longer
   * held: `StreamListener.reset` says when): every connection here is closed, to resume with a gap.
   */
  reset(position: StreamPosition): void {
    this.epoch = position.epoch
    this.latest = position.latestSeq
    for (const connection of this.connections) connection.closeForResume()
  }
}

/** The pending form of `event`, made at `at` (epoch ms): its frame but for the seq. */
const pendingOf = (event: StreamEvent, at: number): PendingEvent => ({
  head: ServerFrame.streamEventHead(event.type),
  tail: ServerFrame.streamEventTail(event, ServerFrame.isoAt(at)),
  at
})

/** The replay target of a client that is not on the stream: it counts what it is given. */
const nowhere: StreamSubscriber = {
  id: "",
  deliver: () => {},
  send: () => {},
  holdUntilReplay: () => {},
  cancelReplay: () => {},
  replay: (entries) => entries.length,
  closeForResume: () => {}
}

const free: ReplayCharge = () => {}
