import { Context, Effect, Layer } from "effect"
import { Backplane, frameOf, type PendingEvent, type StreamListener, type StreamPosition } from "./Backplane.js"
import * as Epoch from "./Epoch.js"
import { History, type HistoryEntry, type HistoryOptions } from "./History.js"
import { defaultReadLimit, emptySlice, type HistorySlice, HistoryStore, type ReadLimit } from "./HistoryStore.js"

/** One user's stream in memory: its epoch, its history (whose latest seq is the stream's) and who listens. */
class Stream {
  /**
   * Replaced, never changed in place: a publish iterates the array it read
   * even if a listener leaves meanwhile. An array of one (a single node's
   * listener, the usual case) is a fraction of a Set's size, and quicker to walk.
   */
  listeners: ReadonlyArray<StreamListener> = []

  constructor(readonly epoch: Epoch.Epoch, readonly history: History) {}
}

/**
 * The in-memory backing of the `Backplane` and the `HistoryStore` (the
 * default: one node, nothing to install). Everything is synchronous, so a
 * publish is one step and its listeners are called before it returns, in seq
 * order. A stream lives while a listener holds it: when the last one leaves
 * (the user's session released) it is forgotten, history and epoch with it,
 * so the memory does not grow with users who left — and the next stream of
 * that user starts a new epoch (PROTOCOL §6).
 */
export class MemoryStreams {
  private readonly streams = new Map<string, Stream>()

  constructor(readonly options: HistoryOptions) {}

  /** How many users' streams are held. */
  get size(): number {
    return this.streams.size
  }

  private open(userId: string, nowMs: number): Stream {
    let stream = this.streams.get(userId)
    if (stream === undefined) {
      stream = new Stream(Epoch.unsafeMake(nowMs), new History(this.options))
      this.streams.set(userId, stream)
    }
    return stream
  }

  /** Adds `listener` to the user's stream (made if absent); `unsubscribe` removes it, and the stream with the last. */
  subscribe(userId: string, listener: StreamListener, nowMs: number): StreamPosition {
    const stream = this.open(userId, nowMs)
    // (a literal of one is sized to fit; a spread reserves room for 17)
    if (stream.listeners.length === 0) stream.listeners = [listener]
    else if (!stream.listeners.includes(listener)) stream.listeners = [...stream.listeners, listener]
    return { epoch: stream.epoch, latestSeq: stream.history.latestSeq }
  }

  unsubscribe(userId: string, listener: StreamListener): void {
    const stream = this.streams.get(userId)
    if (stream === undefined || !stream.listeners.includes(listener)) return
    stream.listeners = stream.listeners.filter((other) => other !== listener)
    if (stream.listeners.length === 0) this.streams.delete(userId)
  }

  /** Allocates the next seq, appends the event to history and hands it to every listener; returns the seq. */
  publish(userId: string, event: PendingEvent): number {
    const stream = this.open(userId, event.at)
    const seq = stream.history.latestSeq + 1
    const entry: HistoryEntry = { seq, at: event.at, frame: frameOf(event, seq) }
    stream.history.append(entry)
    for (const listener of stream.listeners) listener.event(entry)
    return seq
  }

  signal(userId: string, frame: string, senderId: string): void {
    const stream = this.streams.get(userId)
    if (stream === undefined) return
    for (const listener of stream.listeners) listener.signal(frame, senderId)
  }

  append(userId: string, entry: HistoryEntry): void {
    this.open(userId, entry.at).history.append(entry)
  }

  read(userId: string, afterSeq: number, nowMs: number, limit: ReadLimit = defaultReadLimit): HistorySlice {
    const history = this.streams.get(userId)?.history
    if (history === undefined) return emptySlice
    history.evict(nowMs)
    return {
      entries: history.range(afterSeq, undefined, limit.maxEvents, limit.maxBytes),
      oldestSeq: history.oldestSeq,
      latestSeq: history.latestSeq
    }
  }

  forget(userId: string): void {
    this.streams.delete(userId)
  }
}

/** The `Backplane` of one node over `streams` (several nodes may share one, as in the conformance suite). */
export const backplane = (streams: MemoryStreams): Backplane["Type"] => ({
  subscribe: (userId, listener) =>
    Effect.clockWith((clock) => Effect.sync(() => streams.subscribe(userId, listener, clock.unsafeCurrentTimeMillis()))),
  subscribeNow: (userId, listener, nowMs) => streams.subscribe(userId, listener, nowMs),
  unsubscribe: (userId, listener) => Effect.sync(() => streams.unsubscribe(userId, listener)),
  publish: (userId, event) => Effect.sync(() => streams.publish(userId, event)),
  signal: (userId, frame, senderId) => Effect.sync(() => streams.signal(userId, frame, senderId))
})

/** The `HistoryStore` of one node over `streams`. */
export const historyStore = (streams: MemoryStreams): HistoryStore["Type"] => ({
  append: (userId, entry) => Effect.sync(() => streams.append(userId, entry)),
  read: (userId, afterSeq, limit) =>
    Effect.clockWith((clock) => Effect.sync(() => streams.read(userId, afterSeq, clock.unsafeCurrentTimeMillis(), limit))),
  forget: (userId) => Effect.sync(() => streams.forget(userId))
})

/** Both stores of one node over `streams`. */
export const context = (streams: MemoryStreams): Context.Context<Backplane | HistoryStore> =>
  Context.make(Backplane, backplane(streams)).pipe(Context.add(HistoryStore, historyStore(streams)))

/** The in-memory `Backplane` and `HistoryStore` of a single node, with the history bounds `options`. */
export const layer = (options: HistoryOptions): Layer.Layer<Backplane | HistoryStore> =>
  Layer.succeedContext(context(new MemoryStreams(options)))
