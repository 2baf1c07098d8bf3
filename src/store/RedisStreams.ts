import { Clock, Context, Duration, Effect, Exit, Layer, Runtime, Schedule, Scope } from "effect"
import { Backplane, frameOf, type PendingEvent, type StreamListener, type StreamPosition } from "./Backplane.js"
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
 * arrives meanwhile. A stream made anew (Redis restarted without its data)
 * announces its epoch, and a catch-up that finds another epoch resets the
 * listener too (`StreamListener.reset`): never a silent loss.
 *
 * Redis away: a publish is delivered to this node's listeners only (see
 * `publishLocally`); typing signals are dropped; subscriptions come back
 * with Redis. A node keeps the keys of the users it serves alive (their TTL
 * refreshed every quarter of it), so a subscribed stream never expires.
 */

/** How long a stream nobody publishes to, subscribes to or reads is kept (its epoch with it). */
export const DEFAULT_STREAM_TTL_MS = 24 * 60 * 60_000

// users whose keys one keep-alive script refreshes
const KEEP_ALIVE_BATCH = 500

/** What a publish made while Redis is away needs of one local listener. */
interface Follower {
  /** the last seq the listener was given */
  readonly lastSeq: number
  /** gives an event delivered only on this node (Redis did not take it) */
  readonly local: (entry: HistoryEntry) => void
}

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

    // the followers of each user on this node: where a publish goes while Redis is away
    const followers = new Map<string, Set<Follower>>()

    /**
     * The channel listener of one local listener: events in seq order, and
     * none skipped — after a gap or a reconnection it reads the history after
     * the last seq it gave, holding back what arrives meanwhile. An epoch
     * change (`r` message, or a catch-up that finds another epoch) resets it.
     */
    const follow = (userId: string, listener: StreamListener) => {
      let epoch = ""
      let lastSeq = 0
      // events delivered only here while Redis was away: the epoch must end when Redis is back
      let diverged = false
      // messages held back while the position is not known yet, or while a catch-up reads the history
      let held: Array<HistoryEntry | string> | undefined = []
      const give = (entry: HistoryEntry) => {
        if (entry.seq <= lastSeq) return
        lastSeq = entry.seq
        listener.event(entry)
      }
      const reset = (to: StreamPosition) => {
        epoch = to.epoch
        lastSeq = to.latestSeq
        diverged = false
        listener.reset?.(to)
      }
      // an item held or received: an event, or the epoch (`r` message) the events after it belong to
      const take = (item: HistoryEntry | string) => {
        if (typeof item !== "string") give(item)
        else if (item !== epoch) reset({ epoch: item, latestSeq: 0 })
      }
      const release = (missed: ReadonlyArray<HistoryEntry>) => {
        const waiting = held ?? []
        held = undefined
        for (const entry of missed) give(entry)
        for (const item of waiting) take(item)
      }
      const catchUp = () => {
        if (held !== undefined) return
        held = []
        Runtime.runFork(runtime)(Effect.gen(function*() {
          const fresh = yield* Epoch.make
          if (diverged) yield* script(Scripts.restart, userId, [epoch, fresh])
          const reply = (yield* script(Scripts.catchUp, userId, [fresh, lastSeq])) as Array<number | string>
          const now = String(reply[0])
          const entries: Array<HistoryEntry> = []
          for (let i = 2; i < reply.length; i += 3) {
            entries.push({ seq: Number(reply[i]), at: Number(reply[i + 1]), frame: String(reply[i + 2]) })
          }
          if (now !== epoch) {
            // the past this listener counted is gone: everything held of the new epoch is new to it
            reset({ epoch: now, latestSeq: 0 })
            return entries
          }
          return entries.filter((entry) => entry.seq > lastSeq)
        }).pipe(
          Effect.catchAllCause((cause) =>
            Effect.as(Effect.logWarning("backplane: could not read what a listener missed", cause), [])
          ),
          Effect.flatMap((missed) => Effect.sync(() => release(missed)))
        ))
      }
      const channelListener: ChannelListener = {
        onMessage: (message) => {
          const kind = message.charCodeAt(0)
          if (kind === 115 /* s */) {
            const colon = message.indexOf(":")
            const length = Number(message.slice(1, colon))
            listener.signal(message.slice(colon + 1 + length), message.slice(colon + 1, colon + 1 + length))
            return
          }
          const item = kind === 114 /* r */ ? message.slice(1) : parseEvent(message)
          if (held !== undefined) held.push(item)
          else if (typeof item !== "string" && (item.seq > lastSeq + 1 || diverged)) {
            // a message was lost (or Redis's seqs overlap ones given locally): what is missing is read first
            catchUp()
            held!.push(item)
          } else take(item)
        },
        onRestored: catchUp
      }
      // the events up to the position are the listener's own count: only later ones are given
      const started = (position: StreamPosition) => {
        epoch = position.epoch
        lastSeq = position.latestSeq
        release([])
      }
      const follower: Follower = {
        get lastSeq() {
          return lastSeq
        },
        local: (entry) => {
          diverged = true
          give(entry)
        }
      }
      return { channelListener, started, follower }
    }

    /**
     * Redis did not take a publish (away, or too slow): the event goes to this
     * node's listeners of the user only, with the seq after the last one they
     * had, and is kept nowhere (nothing buffered while Redis is away). Those
     * listeners' epoch ends when Redis is back (`restart`), so their clients
     * resume with a gap rather than a seq that other nodes use for another event.
     */
    const publishLocally = (userId: string, event: PendingEvent): Effect.Effect<number> =>
      Effect.sync(() => {
        const local = followers.get(userId)
        if (local === undefined) return 0
        let seq = 0
        for (const follower of local) seq = Math.max(seq, follower.lastSeq)
        const entry: HistoryEntry = { seq: seq + 1, at: event.at, frame: frameOf(event, seq + 1) }
        for (const follower of local) follower.local(entry)
        return entry.seq
      })

    // a stream's keys live while a node serves its user, however long nobody publishes
    yield* Effect.forkScoped(Effect.repeat(
      Effect.suspend(() => {
        const users = [...followers.keys()]
        const batches: Array<Effect.Effect<unknown>> = []
        for (let i = 0; i < users.length; i += KEEP_ALIVE_BATCH) {
          batches.push(Effect.ignore(script(Scripts.keepAlive, "", users.slice(i, i + KEEP_ALIVE_BATCH))))
        }
        return Effect.all(batches, { discard: true })
      }),
      Schedule.spaced(Duration.millis(Math.max(1_000, Math.floor(streamTtlMs / 4))))
    ))

    /** Follows the user's stream for `listener` while `Scope` lasts. */
    const follows = (userId: string, listener: StreamListener): Effect.Effect<StreamPosition, never, Scope.Scope> =>
      Effect.gen(function*() {
        const following = follow(userId, listener)
        // subscribed first, so every event after the position read next reaches the listener
        yield* Effect.orDie(redis.subscribe(channelOf(prefix, userId), following.channelListener))
        yield* Effect.acquireRelease(
          Effect.sync(() => {
            let local = followers.get(userId)
            if (local === undefined) followers.set(userId, local = new Set())
            local.add(following.follower)
          }),
          () =>
            Effect.sync(() => {
              const local = followers.get(userId)
              if (local !== undefined && local.delete(following.follower) && local.size === 0) followers.delete(userId)
            })
        )
        const epoch = yield* Epoch.make
        const reply = (yield* script(Scripts.position, userId, [epoch])) as [string, string]
        const position: StreamPosition = { epoch: reply[0], latestSeq: Number(reply[1]) }
        following.started(position)
        return position
      })

    // each listener's subscription (channel, follower) in a scope of its own, closed by `unsubscribe` or with the node
    const subscriptions = new Map<StreamListener, Scope.CloseableScope>()
    const unsubscribe = (listener: StreamListener): Effect.Effect<void> =>
      Effect.suspend(() => {
        const scope = subscriptions.get(listener)
        if (scope === undefined) return Effect.void
        subscriptions.delete(listener)
        return Scope.close(scope, Exit.void)
      })
    yield* Effect.addFinalizer(() => Effect.forEach([...subscriptions.keys()], unsubscribe, { discard: true }))

    const backplane = Backplane.of({
      subscribe: (userId, listener) =>
        Effect.uninterruptibleMask((restore) =>
          Effect.flatMap(Scope.make(), (scope) => {
            subscriptions.set(listener, scope)
            return restore(Scope.extend(follows(userId, listener), scope)).pipe(
              Effect.onExit((exit) => Exit.isFailure(exit) ? unsubscribe(listener) : Effect.void)
            )
          })
        ),
      unsubscribe: (_userId, listener) => unsubscribe(listener),
      publish: (userId, event) =>
        Effect.flatMap(Epoch.make, (epoch) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            redis.eval(Scripts.publish, [], [prefix, userId, now, ...bounds, epoch, event.head, event.tail, event.at]).pipe(
              Effect.map(Number),
              Effect.catchAll(() => publishLocally(userId, event))
            ))),
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
): Layer.Layer<Backplane | HistoryStore, never, Redis> => Layer.scopedContext(make(options, streamTtlMs))
