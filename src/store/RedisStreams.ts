import { createHash, randomBytes } from "node:crypto"
import { Clock, Context, Deferred, Duration, Effect, Exit, FiberId, FiberRef, Layer, Metric, Random, Runtime, Schedule, Scope } from "effect"
import {
  Backplane,
  currentLeaseGuard,
  currentRunEnd,
  frameOf,
  type LeaseGuard,
  type PendingEvent,
  type RunEnd,
  type StreamListener,
  type StreamPosition
} from "./Backplane.js"
import * as Epoch from "./Epoch.js"
import type { HistoryEntry, HistoryOptions } from "./History.js"
import { defaultReadLimit, emptySlice, type HistorySlice, HistoryStore, type ReadLimit } from "./HistoryStore.js"
import { type ChannelListener, keyPart, Redis, type RedisError, type RedisScript, retryTimeouts } from "./Redis.js"
import * as Scripts from "./RedisStreamScripts.js"
import { OutageLog } from "../observability/OutageLog.js"

/**
 * The Redis `Backplane` and `HistoryStore` (cluster mode): a user's stream is
 * a hash (epoch, latest seq, bytes held) and a Redis Stream of the held
 * events, under the user's key (the user id hex-encoded, `keyPart`); a
 * publish is one Lua script (seq, append, bounds, PUBLISH), so seq order is
 * one order on every node. A node subscribes to the channel of each user it
 * serves — a channel per user, so a node receives only its users' traffic
 * (sharded pub/sub would only matter on a Redis Cluster, which this does not
 * target: the scripts touch keys they derive, which a cluster refuses).
 *
 * A listener never misses an event Redis still holds: one that arrives after
 * a gap (a message lost with a connection) or a restored subscription makes
 * the listener read the history after its last seq first, a page at a time,
 * holding back what arrives meanwhile — at most `Tuning.holdEvents` events
 * and `holdBytes` bytes: past that it drops what it holds and reads it from
 * history too, once the page it is on is done. What history no longer holds
 * (a listener that fell that far behind), or a stream made anew (Redis
 * restarted without its data, announced with its epoch), resets the listener
 * (`StreamListener.reset`): its clients resume and see the gap, never a
 * silent loss. A stream whose latest seq is below the listener's (a failover
 * lost the newest writes: Redis would give those seqs to new events) ends its
 * epoch, as after local deliveries (below).
 *
 * Redis slow is not Redis away. A publish not answered within the command
 * timeout may still run (it waits in Redis's queue), so it is asked again
 * with the same token, up to `PUBLISH_ATTEMPTS` times in all, and the retry
 * returns the seq the first attempt got (`RedisStreamScripts.publish`): one
 * event, one seq, no epoch restart. If Redis never confirms, the event is
 * not delivered here either (it reaches the listeners from Redis if Redis
 * still runs it); it is counted in `switchyard_redis_publishes_unconfirmed_total`.
 *
 * A run's `agent_completed` (`currentRunEnd`) records the run's end in the
 * same script. One Redis did not confirm (slow, or away) is owed: published
 * again with the same token, every `OWED_RETRY_MS` once Redis answers (and
 * once the user's listeners here restarted their epoch, if they diverged),
 * until Redis answers it — its seq if the first attempt ran, a refusal if the
 * run is no longer this node's (claimed, or ended already): never twice.
 *
 * Redis away (no connection, lost under the command, or refusing writes:
 * full, or a replica after a failover): a publish is delivered to this
 * node's listeners only (see `publishLocally`); typing signals are dropped;
 * subscriptions come back with Redis. A node keeps the
 * keys of the users it serves alive (their TTL refreshed every quarter of
 * it), so a subscribed stream never expires.
 */

/** How long a stream nobody publishes to, subscribes to or reads is kept (its epoch with it). */
export const DEFAULT_STREAM_TTL_MS = 24 * 60 * 60_000

/** The bounds of a listener's catching up. */
export interface Tuning {
  /** one history read of a catch-up, at most (a page) */
  readonly page: ReadLimit
  /** events a listener holds back while it catches up, at most ... */
  readonly holdEvents: number
  /** ... and their frames' bytes (UTF-16 units), at most */
  readonly holdBytes: number
  /** runs' ends a node owes at most at once (their `agent_completed` not confirmed by Redis) ... */
  readonly owedEnds: number
  /** ... and their frames' bytes (UTF-16 units), at most: past either the oldest is given up */
  readonly owedChars: number
  /** a catch-up Redis failed is tried again after this long, twice as long after each failure in a row ... */
  readonly retryMs: number
  /** ... up to this; each pause is between half and all of its figure, so listeners failed at once spread out */
  readonly retryMaxMs: number
}

/**
 * The defaults: a page as a resume reads it; about a second of a busy user's
 * events held; the ends owed of the runs a node was running when Redis went
 * slow or away (the run limits bound them), past which the oldest is given
 * up: logged, its end recorded without the event (its run's slot is not
 * kept), its `agent_completed` seen only by this node's connections.
 */
export const defaultTuning: Tuning = {
  page: defaultReadLimit,
  holdEvents: 1_000,
  holdBytes: 1024 * 1024,
  owedEnds: 10_000,
  owedChars: 16 * 1024 * 1024,
  retryMs: 250,
  retryMaxMs: 8_000
}

/** Attempts of one publish while Redis is slow (each bounded by `REDIS_COMMAND_TIMEOUT_MS`). */
export const PUBLISH_ATTEMPTS = 3

/** Runs' ends owed now (their `agent_completed` not confirmed by Redis yet), on the nodes of this process. */
export const runEndsOwed = Metric.gauge("switchyard_redis_run_ends_owed", {
  description: "agent runs whose agent_completed (and the record of their end) Redis has not confirmed yet: published again once it answers"
})

// how often owed ends are published again while there are some (once Redis answers)
const OWED_RETRY_MS = 500
// how often listeners given events only here are asked to catch up (and so end their epoch) while Redis is up
const DIVERGED_RETRY_MS = 500

/** Publishes Redis did not take (away, or refusing writes): delivered to this node's listeners only, kept nowhere. */
export const publishesLocal = Metric.counter("switchyard_redis_publishes_local_total", {
  description: "stream events Redis did not take (away, or refusing writes: full, a replica): delivered to this node's connections of the user, if any, kept nowhere",
  incremental: true
})

/** Publishes Redis did not confirm in time (slow, not away): not delivered locally, maybe not at all. */
export const publishesUnconfirmed = Metric.counter("switchyard_redis_publishes_unconfirmed_total", {
  description: "stream events Redis did not confirm within the publish attempts (delivered only if Redis ran them)",
  incremental: true
})

// users whose keys one keep-alive script refreshes
const KEEP_ALIVE_BATCH = 500

/**
 * The pause before a catch-up's next attempt after `misses` passes in a row
 * that Redis failed or that moved nothing: a Redis that keeps refusing (full at its maxmemory, a script error) is
 * asked less and less often, not four times a second by every listener.
 */
const retryPause = (tuning: Tuning, misses: number): Effect.Effect<void> => {
  const full = Math.min(tuning.retryMaxMs, tuning.retryMs * 2 ** Math.min(misses, 20))
  return Effect.flatMap(Random.next, (r) => Effect.sleep(Duration.millis(full / 2 + r * (full / 2))))
}

// publish tokens: this process's random tag and a counter (a retry carries its first attempt's)
const processTag = randomBytes(4).toString("hex")
let published = 0

/** What a publish made while Redis is away needs of one local listener. */
interface Follower {
  /** the last seq the listener was given */
  readonly lastSeq: number
  /** gives an event delivered only on this node (Redis did not take it) */
  readonly local: (entry: HistoryEntry) => void
  /** it was given events only here: its epoch ends (`restart`) once it catches up with Redis */
  readonly diverged: boolean
  /** catches up with Redis (at once, or after the catch-up running now) */
  readonly catchUp: () => void
}

/** A run's `agent_completed` Redis did not confirm: published again, same token, until Redis answers. */
interface OwedEnd {
  readonly userId: string
  readonly event: PendingEvent
  readonly token: string
  readonly guard: LeaseGuard | undefined
  readonly end: RunEnd
}

/** The channel of a user's stream. */
const channelOf = (prefix: string, userId: string) => `${prefix}st:{${keyPart(userId)}}`

/** An event as a channel message carries it: with the epoch its seq counts in. */
interface ChannelEvent {
  readonly epoch: string
  readonly entry: HistoryEntry
}

// the one parsed message last seen: every local listener of a user is handed the same string in a row
let lastRaw = ""
let lastEvent: ChannelEvent | undefined

/** The event of a channel message `e<seq>:<at>:<epoch>:<frame>`, parsed once for all the listeners it goes to. */
const parseEvent = (message: string): ChannelEvent => {
  if (message === lastRaw && lastEvent !== undefined) return lastEvent
  const first = message.indexOf(":")
  const second = message.indexOf(":", first + 1)
  const third = message.indexOf(":", second + 1)
  const event: ChannelEvent = {
    epoch: message.slice(second + 1, third),
    entry: { seq: Number(message.slice(1, first)), at: Number(message.slice(first + 1, second)), frame: message.slice(third + 1) }
  }
  lastRaw = message
  lastEvent = event
  return event
}

/** The position an `r` message's body names: `<epoch>` (a stream made anew) or `<epoch>:<latest seq>` (restarted). */
const positionOf = (body: string): StreamPosition => {
  const colon = body.indexOf(":")
  return colon === -1 ? { epoch: body, latestSeq: 0 } : { epoch: body.slice(0, colon), latestSeq: Number(body.slice(colon + 1)) }
}

/** The events of a script's reply from index `from` on: `seq, at, frame` triples. */
const entriesOf = (reply: ReadonlyArray<number | string>, from: number): Array<HistoryEntry> => {
  const entries: Array<HistoryEntry> = []
  for (let i = from; i + 2 < reply.length; i += 3) {
    entries.push({ seq: Number(reply[i]), at: Number(reply[i + 1]), frame: String(reply[i + 2]) })
  }
  return entries
}

/** Both stores of one node, with the history bounds `options`. */
export const make = (
  options: HistoryOptions,
  streamTtlMs: number = DEFAULT_STREAM_TTL_MS,
  tuning: Tuning = defaultTuning
) =>
  Effect.gen(function*() {
    const redis = yield* Redis
    const runtime = yield* Effect.runtime<never>()
    const prefix = redis.prefix
    const bounds = [options.minEvents, options.minAgeMs, options.maxEvents, options.maxBytes ?? -1, streamTtlMs] as const

    const attempt = (which: RedisScript, userId: string, args: ReadonlyArray<string | number>) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => redis.eval(which, [], [prefix, keyPart(userId), now, ...bounds, ...args]))

    // an infrastructure failure the caller cannot handle: a defect at this boundary (Backplane's contract);
    // these scripts read, or write what is the same written twice: tried again while Redis is slow
    const script = (which: RedisScript, userId: string, args: ReadonlyArray<string | number>) =>
      Effect.orDie(retryTimeouts(attempt(which, userId, args), PUBLISH_ATTEMPTS))

    const read = (userId: string, afterSeq: number, limit: ReadLimit = defaultReadLimit): Effect.Effect<HistorySlice> =>
      Effect.map(script(Scripts.read, userId, [afterSeq, limit.maxEvents, limit.maxBytes]), (reply) => {
        const values = reply as Array<number | string>
        const latestSeq = Number(values[0])
        if (latestSeq === 0 && values.length === 2 && Number(values[1]) === -1) return emptySlice
        const oldest = Number(values[1])
        return { entries: entriesOf(values, 2), oldestSeq: oldest === -1 ? undefined : oldest, latestSeq }
      })

    const historyStore = HistoryStore.of({
      append: (userId, entry) =>
        Effect.flatMap(Epoch.make, (epoch) =>
          Effect.asVoid(script(Scripts.append, userId, [epoch, entry.seq, entry.frame, entry.at]))),
      read,
      forget: (userId) => {
        const key = `${prefix}st:{${keyPart(userId)}}`
        return Effect.orDie(Effect.asVoid(redis.run((client) => client.del(`${key}:m`, `${key}:x`, `${key}:p`))))
      }
    })

    // How a local listener follows a user's stream: `follows` (below) subscribes it and reads the position;
    // `follow` makes its channel listener, which puts what Redis sends in seq order; its `Follower` is
    // that listener's side a publish sees while Redis is away, kept per user in `followers`.
    // Note: a publish Redis confirmed is not given here at once: it comes back on the channel, to every node.
    const followers = new Map<string, Set<Follower>>()
    // those that were given events only here and have not caught up with Redis since
    const diverging = new Set<Follower>()

    /**
     * The channel listener of one local listener: events in seq order, and
     * none skipped — after a gap or a reconnection it reads the history after
     * the last seq it gave, a page at a time, holding back (boundedly) what
     * arrives meanwhile. An epoch change (`r` message, or a catch-up that
     * finds another epoch), or events history no longer holds, reset it.
     */
    const follow = (userId: string, listener: StreamListener) => {
      let epoch = ""
      let lastSeq = 0
      // the frame given at lastSeq (none after a reset): a catch-up checks that Redis still holds that one there
      let lastFrame: string | undefined
      // events delivered only here while Redis was away: the epoch must end when Redis is back
      let diverged = false
      // messages held back while the position is not known yet, or while a catch-up reads the history
      let held: Array<ChannelEvent | string> | undefined = []
      let heldChars = 0
      // more arrived than may be held: what was held is dropped, and read from history instead
      let overflowed = false
      // a catch-up is running; another is due when it ends (the subscription was restored meanwhile)
      let catching = false
      let again = false
      // passes Redis failed, or that moved nothing, in a row: each waits longer before the next ...
      let misses = 0
      // ... unless the subscription is restored meanwhile (Redis is back): that ends the wait at once
      let wakePause: Deferred.Deferred<void> | undefined
      const pause = (): Effect.Effect<void> =>
        Effect.suspend(() => {
          const wake = wakePause = Deferred.unsafeMake<void>(FiberId.none)
          return Effect.raceFirst(retryPause(tuning, misses++), Deferred.await(wake))
        })
      // the subscription ended: a catch-up in progress stops
      let closed = false
      // the position is known (until then what arrives is held, and the position read covers any gap)
      let positioned = false
      const give = (entry: HistoryEntry) => {
        if (entry.seq <= lastSeq) return
        lastSeq = entry.seq
        lastFrame = entry.frame
        listener.event(entry)
      }
      // `diverged`, and the listener in or out of the node's `diverging` set (a timer catches those up)
      const setDiverged = (to: boolean) => {
        diverged = to
        if (to) diverging.add(follower)
        else diverging.delete(follower)
      }
      const reset = (to: StreamPosition) => {
        epoch = to.epoch
        lastSeq = to.latestSeq
        lastFrame = undefined
        setDiverged(false)
        listener.reset?.(to)
      }
      const hold = (item: ChannelEvent | string) => {
        if (overflowed) return
        held!.push(item)
        heldChars += typeof item === "string" ? item.length : item.entry.frame.length
        if (held!.length > tuning.holdEvents || heldChars > tuning.holdBytes) {
          // never unbounded: what is held now (and what comes until the catch-up's page ends) is read from history
          overflowed = true
          held = []
          heldChars = 0
        }
      }
      // an event of another epoch than the listener's: an older one's (a catch-up moved the listener to the
      // new epoch before that epoch's `r` message came; a newer one's events all come after it) — never given
      const stale = (item: ChannelEvent | string): boolean => typeof item !== "string" && item.epoch !== epoch
      // an item held or received: an event, or the position (`r` message: `<epoch>` or `<epoch>:<latest seq>`)
      // the events after it come after
      const take = (item: ChannelEvent | string) => {
        if (typeof item !== "string") return stale(item) ? undefined : give(item.entry)
        const to = positionOf(item)
        if (to.epoch !== epoch) reset(to)
      }
      // caught up: what was held goes out, unless it was dropped or has a hole of its own (then again)
      const release = (): boolean => {
        if (overflowed) return false
        const waiting = held ?? []
        for (let i = 0; i < waiting.length; i++) {
          const item = waiting[i]!
          if (typeof item !== "string" && !stale(item) && item.entry.seq > lastSeq + 1) {
            held = waiting.slice(i)
            return false
          }
          take(item)
        }
        held = undefined
        heldChars = 0
        return true
      }

      // one pass over the history after `lastSeq`, up to the latest seq it finds, a page at a time
      const pass: Effect.Effect<void, RedisError> = Effect.gen(function*() {
        overflowed = false
        const fresh = yield* Epoch.make
        if (diverged) yield* retryTimeouts(attempt(Scripts.restart, userId, [epoch, fresh]), PUBLISH_ATTEMPTS)
        let target = Number.POSITIVE_INFINITY
        for (let first = true; lastSeq < target && !closed; first = false) {
          const given = first && lastFrame !== undefined ? createHash("sha1").update(lastFrame).digest("hex") : ""
          const reply = (yield* retryTimeouts(
            attempt(Scripts.catchUp, userId, [fresh, lastSeq, tuning.page.maxEvents, tuning.page.maxBytes, given]),
            PUBLISH_ATTEMPTS
          )) as Array<number | string>
          const current = String(reply[0])
          const latest = Number(reply[1])
          const oldest = Number(reply[2])
          const lost = latest < lastSeq || Number(reply[3]) === 1
          if (first) target = latest
          if (current !== epoch) {
            // the past this listener counted is gone: its clients resume, and read what the new epoch holds (a
            // restart's carried events) from history; this page was read after a seq of the old epoch
            reset({ epoch: current, latestSeq: latest })
            break
          }
          if (lost) {
            // Redis lost events this listener gave (a failover lost writes not yet replicated), and gives or
            // gave their seqs to other events, which other nodes' clients see: as after local deliveries, the
            // epoch ends (the next pass restarts it)
            if (closed) break
            setDiverged(true)
            again = true
            break
          }
          // what the listener lacks is no longer held (it fell too far behind): its clients resume from history
          const heldFrom = oldest === -1 ? latest + 1 : oldest
          if (heldFrom > lastSeq + 1 && lastSeq < latest) reset({ epoch: current, latestSeq: Math.min(heldFrom, latest + 1) - 1 })
          const entries = entriesOf(reply, 4)
          if (entries.length === 0) break
          for (const entry of entries) give(entry)
        }
      })

      // what a pass may move: one that changed none of it moved nothing
      const progress = () => `${epoch}:${lastSeq}:${diverged}`
      const catchUp = () => {
        if (!positioned || closed) return
        if (held === undefined) held = []
        if (catching) {
          again = true
          return
        }
        catching = true
        // where the last pass started: one that moved nothing is not run again at once (a hole Redis cannot fill
        // waits for the next message or the retry pause, never a busy loop of scripts)
        let before = ""
        const loop: Effect.Effect<void> = Effect.suspend(() => {
          again = false
          before = progress()
          return pass
        }).pipe(
          Effect.matchCauseEffect({
            onSuccess: () =>
              Effect.suspend(() => {
                if (closed) return Effect.void
                if (again || !release()) {
                  // a pass that moved nothing waits, longer each time in a row, as a failed one does
                  if (before === progress()) return Effect.zipRight(pause(), loop)
                  misses = 0
                  return loop
                }
                misses = 0
                catching = false
                return Effect.void
              }),
            // Redis slow or away: what arrives is held back (boundedly) until it answers again
            onFailure: (cause) =>
              Effect.logDebug("backplane: catching up failed, trying again", cause).pipe(
                Effect.zipRight(pause()),
                Effect.zipRight(redis.whenConnected),
                Effect.zipRight(Effect.suspend(() => (closed ? Effect.void : loop)))
              )
          })
        )
        Runtime.runFork(runtime)(loop)
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
          // a kind this version does not know (a newer node's, during a rolling upgrade) is not an event
          if (kind !== 101 /* e */ && kind !== 114 /* r */) return
          const item = kind === 114 ? message.slice(1) : parseEvent(message)
          if (held !== undefined) hold(item)
          else if (stale(item)) return
          else if (typeof item !== "string" && (item.entry.seq > lastSeq + 1 || diverged)) {
            // a message was lost (or Redis's seqs overlap ones given locally): what is missing is read first
            held = []
            hold(item)
            catchUp()
          } else if (typeof item !== "string" && item.entry.seq === lastSeq && lastFrame !== undefined && item.entry.frame !== lastFrame) {
            // another event at the seq given last (a late copy of that one has its frame): Redis lost what this
            // listener was given and numbers new events with those seqs (a failover that kept this subscription)
            setDiverged(true)
            catchUp()
          } else take(item)
        },
        onRestored: () => {
          misses = 0
          if (wakePause !== undefined) Deferred.unsafeDone(wakePause, Exit.void)
          catchUp()
        }
      }
      // the events up to the position are the listener's own count: only later ones are given
      const started = (position: StreamPosition) => {
        epoch = position.epoch
        lastSeq = position.latestSeq
        positioned = true
        if (!release()) catchUp()
      }
      const follower: Follower = {
        get lastSeq() {
          return lastSeq
        },
        local: (entry) => {
          setDiverged(true)
          give(entry)
        },
        get diverged() {
          return diverged
        },
        catchUp
      }
      const close = () => {
        closed = true
        held = undefined
        setDiverged(false)
      }
      return { channelListener, started, follower, close }
    }

    /**
     * Redis did not take a publish (away, or lost under the command): the
     * event goes to this node's listeners of the user only, with the seq after
     * the last one they had, and is kept nowhere (nothing buffered while Redis
     * is away). Those listeners' epoch ends when Redis is back (`restart`), so
     * their clients resume with a gap rather than a seq that other nodes use
     * for another event; the new epoch starts with the newest of what Redis held
     * of the old one.
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

    // Redis slow: the publish may have run; it is not delivered here (Redis delivers it if it runs it). Each
    // is counted; said once until a publish is confirmed again (a slow Redis fails them all meanwhile)
    const unconfirmedLog = new OutageLog(
      "backplane: Redis did not confirm a publish in time; not delivered locally",
      "backplane: Redis confirms publishes again"
    )
    const unconfirmed = Effect.zipRight(
      Metric.increment(publishesUnconfirmed),
      unconfirmedLog.failed(`${PUBLISH_ATTEMPTS} attempts of REDIS_COMMAND_TIMEOUT_MS`)
    ).pipe(Effect.as(0))
    // Redis away or refusing writes: each publish is counted, and said once until one is taken again
    const notTakenLog = new OutageLog(
      "backplane: Redis did not take a publish; delivered on this node only, kept nowhere",
      "backplane: Redis takes publishes again"
    )
    const notTaken = (userId: string, event: PendingEvent, error: RedisError): Effect.Effect<number> =>
      Effect.zipRight(Effect.zipRight(Metric.increment(publishesLocal), notTakenLog.failed(error.message)), publishLocally(userId, event))
    const confirmed = (seq: number): Effect.Effect<number> =>
      unconfirmedLog.failing || notTakenLog.failing
        ? Effect.as(Effect.zipRight(unconfirmedLog.succeeded, notTakenLog.succeeded), seq)
        : Effect.succeed(seq)

    const publishOnce = (
      userId: string,
      event: PendingEvent,
      token: string,
      guard: LeaseGuard | undefined,
      end: RunEnd | undefined,
      retry: boolean
    ) =>
      Effect.flatMap(Epoch.make, (epoch) => {
        const args = [epoch, event.head, event.tail, event.at, token, guard?.name ?? "", guard?.holder ?? "", retry ? 1 : 0]
        return attempt(Scripts.publish, userId, end === undefined ? args : [...args, end.runId, end.owner])
      })

    // runs' ends not confirmed yet, by token, oldest first
    const owed = new Map<string, OwedEnd>()
    let owedChars = 0
    const charsOf = (entry: OwedEnd) => entry.event.head.length + entry.event.tail.length
    const forgetOwed = (entry: OwedEnd): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (!owed.delete(entry.token)) return Effect.void
        owedChars -= charsOf(entry)
        return Metric.incrementBy(runEndsOwed, -1)
      })
    // its event is not published after all: the run's end is recorded without it (the slot never stays taken)
    const giveUpOwed = (entry: OwedEnd, why: string): Effect.Effect<void> =>
      Effect.zipRight(
        forgetOwed(entry),
        Effect.zipRight(Effect.logWarning(`backplane: a run's end owed is given up: ${why}`, { run_id: entry.end.runId }), entry.end.withoutEvent)
      )
    const owe = (entry: OwedEnd): Effect.Effect<void> =>
      Effect.suspend(() => {
        owed.set(entry.token, entry)
        owedChars += charsOf(entry)
        // the oldest, until what is left is within both bounds (the newest is kept whatever its size)
        const over: Array<OwedEnd> = []
        let size = owed.size
        let chars = owedChars
        for (const oldest of owed.values()) {
          if ((size <= tuning.owedEnds && chars <= tuning.owedChars) || oldest === entry) break
          over.push(oldest)
          size--
          chars -= charsOf(oldest)
        }
        return Effect.zipRight(
          Metric.increment(runEndsOwed),
          Effect.forEach(over, (oldest) => giveUpOwed(oldest, "too many owed"), { discard: true })
        )
      })
    // the user's listeners here that Redis has not caught up with yet (their epoch ends first: an owed end
    // published before that restart would be wiped with the epoch)
    const divergedHere = (userId: string): boolean => {
      for (const follower of followers.get(userId) ?? []) if (follower.diverged) return true
      return false
    }
    /**
     * Each owed end published again, with its first attempt's token: a first
     * attempt that did run returns its seq, and a run whose end is recorded
     * (or claimed by a survivor) is refused — either way off the list (`forgetOwed`).
     * The first that finds Redis away or slow ends the round (one command's wait, not one per end); one that
     * fails otherwise (its own script error) is given up, so it cannot hold the others back.
     */
    const payOwed: Effect.Effect<void> = Effect.suspend(() => {
      let failed = false
      return Effect.forEach(Array.from(owed.values()), (entry) =>
        failed || divergedHere(entry.userId) ? Effect.void : Effect.matchEffect(
          publishOnce(entry.userId, entry.event, entry.token, entry.guard, entry.end, true),
          {
            onSuccess: () => forgetOwed(entry),
            // Redis away or slow again: the rest waits for the next round; any other failure is this end's own
            onFailure: (error) =>
              error.reason === "Timeout" || error.reason === "Unavailable"
                ? Effect.sync(() => void (failed = true))
                : giveUpOwed(entry, error.message)
          }
        ), { discard: true })
    })
    yield* Effect.forkScoped(Effect.repeat(
      Effect.suspend(() => owed.size === 0 ? Effect.void : Effect.zipRight(redis.whenConnected, payOwed)),
      Schedule.spaced(Duration.millis(OWED_RETRY_MS))
    ))
    // a node going away tries what it still owes once more
    yield* Effect.addFinalizer(() => payOwed)
    // listeners given events only here catch up (their epoch ends) while Redis is up: after a Redis that refused
    // writes (full, a replica) and never dropped the subscription, no restored subscription would start them,
    // and their users' owed ends wait for them (`divergedHere`)
    yield* Effect.forkScoped(Effect.repeat(
      Effect.suspend(() =>
        diverging.size === 0 ? Effect.void : Effect.zipRight(
          redis.whenConnected,
          Effect.sync(() => {
            for (const follower of diverging) follower.catchUp()
          })
        )
      ),
      Schedule.spaced(Duration.millis(DIVERGED_RETRY_MS))
    ))

    const publish = (userId: string, event: PendingEvent): Effect.Effect<number> =>
      Effect.flatMap(FiberRef.get(currentLeaseGuard), (guard) =>
        Effect.flatMap(FiberRef.get(currentRunEnd), (end) => {
          // a caller's token may have been published before (its publish is made again): looked for at once
          const token = event.token ?? `${processTag}${(++published).toString(36)}`
          const again = event.token !== undefined
          const once = (retry: boolean) => publishOnce(userId, event, token, guard, end, retry || again)
          const seqOfReply = (reply: unknown) => Math.max(0, Number(reply))
          // a run's end not confirmed: owed (the run stays recorded running in Redis until it is)
          const owing = <A>(outcome: Effect.Effect<A>): Effect.Effect<A> =>
            end === undefined ? outcome : Effect.zipLeft(outcome, owe({ userId, event, token, guard, end }))
          // after a timeout: asked again with the same token, queued behind the first attempt
          const confirm = (left: number): Effect.Effect<number> =>
            Effect.matchEffect(once(true), {
              onSuccess: (reply) => confirmed(seqOfReply(reply)),
              onFailure: (error: RedisError) =>
                error.reason !== "Timeout"
                  ? owing(notTaken(userId, event, error))
                  : left > 1
                  ? confirm(left - 1)
                  : owing(unconfirmed)
            })
          return Effect.matchEffect(once(false), {
            onSuccess: (reply) => confirmed(seqOfReply(reply)),
            onFailure: (error) =>
              error.reason === "Timeout" ? confirm(PUBLISH_ATTEMPTS - 1) : owing(notTaken(userId, event, error))
          })
        })
      )

    // a stream's keys live while a node serves its user, however long nobody publishes
    yield* Effect.forkScoped(Effect.repeat(
      Effect.suspend(() => {
        const users = [...followers.keys()].map(keyPart)
        const batches: Array<Effect.Effect<unknown>> = []
        for (let i = 0; i < users.length; i += KEEP_ALIVE_BATCH) {
          batches.push(Effect.ignore(attempt(Scripts.keepAlive, "", users.slice(i, i + KEEP_ALIVE_BATCH))))
        }
        return Effect.all(batches, { discard: true })
      }),
      Schedule.spaced(Duration.millis(Math.max(1_000, Math.floor(streamTtlMs / 4))))
    ))

    /** Follows the user's stream for `listener` while `Scope` lasts. */
    const follows = (userId: string, listener: StreamListener): Effect.Effect<StreamPosition, never, Scope.Scope> =>
      Effect.gen(function*() {
        const following = follow(userId, listener)
        yield* Effect.addFinalizer(() => Effect.sync(following.close))
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
      publish,
      // a transient frame: lost if Redis is away (typing), never an error for the sender
      signal: (userId, frame, senderId) =>
        Effect.catchAll(
          Effect.asVoid(redis.run((client) => client.publish(channelOf(prefix, userId), `s${senderId.length}:${senderId}${frame}`))),
          (error) => Effect.logDebug("backplane: a signal was dropped", error.message)
        )
    })

    return Context.make(Backplane, backplane).pipe(Context.add(HistoryStore, historyStore))
  })

/** The Redis `Backplane` and `HistoryStore` of this node, with the history bounds `options`. */
export const layer = (
  options: HistoryOptions,
  streamTtlMs: number = DEFAULT_STREAM_TTL_MS,
  tuning: Tuning = defaultTuning
): Layer.Layer<Backplane | HistoryStore, never, Redis> => Layer.scopedContext(make(options, streamTtlMs, tuning))
