import { Clock, Context, Effect, Layer, Runtime, type Scope } from "effect"
import { Backplane, type StreamListener, type StreamPosition } from "./Backplane.js"
import * as Epoch from "./Epoch.js"
import type { HistoryEntry, HistoryOptions } from "./History.js"
import { emptySlice, type HistorySlice, HistoryStore } from "./HistoryStore.js"
import { type ChannelListener, Redis, type RedisScript } from "./Redis.js"
import * as Scripts from "./RedisStreamScripts.js"

/**
 * The Redis `Backplane` and `HistoryStore` (cluster mode): a user's stream is
 * a hash (epoch, latest seq, bytes held) and a Redis Stream of the held
 * events, under the user's key; a publish is one Lua script (seq, append,
 * bounds, PUBLISH), so seq order is one order on every node. A node
 * subscribes to the channel of each user it serves — a channel per user, so
 * a node receives only its users' traffic (sharded pub/sub would only matter
 * on a Redis Cluster, which this does not target: the scripts touch keys they
 * derive, which a cluster refuses).
 *
 * A listener never misses an event Redis still holds: one that arrives after
 * a gap (a message lost with a connection) or a restored subscription makes
 * the listener read the history after its last seq first, holding back what
 * arrives meanwhile.
 */

/** How long a stream nobody publishes to, subscribes to or reads is kept (its epoch with it). */
export const DEFAULT_STREAM_TTL_MS = 24 * 60 * 60_000

/** The channel of a user's stream. */
const channelOf = (prefix: string, userId: string) => `${prefix}st:{${userId}}`

// the one parsed message last seen: every local listener of a user is handed the same string in a row
let lastRaw = ""
let lastEntry: HistoryEntry | undefined

/** The event of a channel message `e<seq>:<at>:<frame>`, parsed once for all the listeners it goes to. */
const parseEvent = (message: string): HistoryEntry => {
  if (message === lastRaw && lastEntry !== undefined) return lastEntry
  const first = message.indexOf(":")
  const second = message.indexOf(":", first + 1)
  const entry: HistoryEntry = {
    seq: Number(message.slice(1, first)),
    at: Number(message.slice(first + 1, second)),
    frame: message.slice(second + 1)
  }
  lastRaw = message
  lastEntry = entry
  return entry
}

/** Both stores of one node, with the history bounds `options`. */
export const make = (options: HistoryOptions, streamTtlMs: number = DEFAULT_STREAM_TTL_MS) =>
  Effect.gen(function*() {
    const redis = yield* Redis
    const runtime = yield* Effect.runtime<never>()
    const prefix = redis.prefix
    const bounds = [options.minEvents, options.minAgeMs, options.maxEvents, options.maxBytes ?? -1, streamTtlMs] as const

    // an infrastructure failure the caller cannot handle: a defect at this boundary (Backplane's contract)
    const script = (which: RedisScript, userId: string, args: ReadonlyArray<string | number>) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.orDie(redis.eval(which, [], [prefix, userId, now, ...bounds, ...args])))

    const read = (userId: string, afterSeq: number): Effect.Effect<HistorySlice> =>
      Effect.map(script(Scripts.read, userId, [afterSeq]), (reply) => {
        const values = reply as Array<number | string>
        const latestSeq = Number(values[0])
        if (latestSeq === 0 && values.length === 2 && Number(values[1]) === -1) return emptySlice
        const oldest = Number(values[1])
        const entries: Array<HistoryEntry> = []
        for (let i = 2; i < values.length; i += 3) {
          entries.push({ seq: Number(values[i]), at: Number(values[i + 1]), frame: String(values[i + 2]) })
        }
        return { entries, oldestSeq: oldest === -1 ? undefined : oldest, latestSeq }
      })

    const historyStore = HistoryStore.of({
      append: (userId, entry) =>
        Effect.flatMap(Epoch.make, (epoch) =>
          Effect.asVoid(script(Scripts.append, userId, [epoch, entry.seq, entry.frame, entry.at]))),
      read,
      forget: (userId) =>
        Effect.orDie(Effect.asVoid(redis.run((client) =>
          client.del(`${prefix}st:{${userId}}:m`, `${prefix}st:{${userId}}:x`)
        )))
    })

    /**
     * The channel listener of one local listener: events in seq order, and
     * none skipped — after a gap or a reconnection it reads the history after
     * the last seq it gave, holding back what arrives meanwhile.
     */
    const follow = (userId: string, listener: StreamListener) => {
      let lastSeq = 0
      // events held back while the position is not known yet, or while a catch-up reads the history
      let held: Array<HistoryEntry> | undefined = []
      const give = (entry: HistoryEntry) => {
        if (entry.seq <= lastSeq) return
        lastSeq = entry.seq
        listener.event(entry)
      }
      const release = (missed: ReadonlyArray<HistoryEntry>) => {
        const waiting = held ?? []
        held = undefined
        for (const entry of missed) give(entry)
        for (const entry of waiting) give(entry)
      }
      const catchUp = () => {
        if (held !== undefined) return
        held = []
        Runtime.runFork(runtime)(read(userId, lastSeq).pipe(
          Effect.map((slice) => slice.entries),
          Effect.catchAllCause((cause) =>
            Effect.as(Effect.logWarning("backplane: could not read what a listener missed", cause), [])
          ),
          Effect.flatMap((missed) => Effect.sync(() => release(missed)))
        ))
      }
      const channelListener: ChannelListener = {
        onMessage: (message) => {
          if (message.charCodeAt(0) === 115 /* s */) {
            const colon = message.indexOf(":")
            const length = Number(message.slice(1, colon))
            listener.signal(message.slice(colon + 1 + length), message.slice(colon + 1, colon + 1 + length))
            return
          }
          const entry = parseEvent(message)
          if (held !== undefined) held.push(entry)
          else if (entry.seq > lastSeq + 1) {
            // a message was lost: what is missing is read before this one is given
            catchUp()
            held!.push(entry)
          } else give(entry)
        },
        onRestored: catchUp
      }
      // the events up to the position are the listener's own count: only later ones are given
      const started = (position: StreamPosition) => {
        lastSeq = position.latestSeq
        release([])
      }
      return { channelListener, started }
    }

    const backplane = Backplane.of({
      subscribe: (userId, listener): Effect.Effect<StreamPosition, never, Scope.Scope> =>
        Effect.gen(function*() {
          const following = follow(userId, listener)
          // subscribed first, so every event after the position read next reaches the listener
          yield* Effect.orDie(redis.subscribe(channelOf(prefix, userId), following.channelListener))
          const epoch = yield* Epoch.make
          const reply = (yield* script(Scripts.position, userId, [epoch])) as [string, string]
          const position: StreamPosition = { epoch: reply[0], latestSeq: Number(reply[1]) }
          following.started(position)
          return position
        }),
      publish: (userId, event) =>
        Effect.flatMap(Epoch.make, (epoch) =>
          Effect.map(script(Scripts.publish, userId, [epoch, event.head, event.tail, event.at]), Number)),
      // a transient frame: lost if Redis is away (typing), never an error for the sender
      signal: (userId, frame, senderId) =>
        Effect.ignoreLogged(redis.run((client) =>
          client.publish(channelOf(prefix, userId), `s${senderId.length}:${senderId}${frame}`)
        ))
    })

    return Context.make(Backplane, backplane).pipe(Context.add(HistoryStore, historyStore))
  })

/** The Redis `Backplane` and `HistoryStore` of this node, with the history bounds `options`. */
export const layer = (
  options: HistoryOptions,
  streamTtlMs: number = DEFAULT_STREAM_TTL_MS
): Layer.Layer<Backplane | HistoryStore, never, Redis> => Layer.effectContext(make(options, streamTtlMs))
