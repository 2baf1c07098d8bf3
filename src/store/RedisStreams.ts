import { randomBytes } from "node:crypto"
import { Cause, Clock, Context, Deferred, Duration, Effect, Exit, FiberId, FiberRef, Layer, Metric, Runtime, Schedule, Scope } from "effect"
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
import { FifoSlots } from "./FifoSlots.js"
import { PublishQueues } from "./PublishQueues.js"
import type { HistoryEntry, HistoryOptions } from "./History.js"
import { defaultReadLimit, emptySlice, type HistorySlice, HistoryStore, type ReadLimit } from "./HistoryStore.js"
import { keyPart, Redis, RedisError, type RedisScript, retryTimeouts, safeReason } from "./Redis.js"
import * as Scripts from "./RedisStreamScripts.js"
import { type FollowerNode, type FollowerTuning, StreamFollower } from "./StreamFollower.js"
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
 * A listener never misses an event Redis still holds, nor is given one it
 * was given before under its seq: its `StreamFollower` reads history after
 * a gap (boundedly), and resets it (`StreamListener.reset`: its clients
 * resume and see the gap) or ends the epoch when what it counted is gone.
 *
 * A user's publishes go to Redis in the order given, one batch at a time
 * (one script: at first, what was handed over before the handing fiber gave
 * way, such as a run's last event and its end; then what was handed over
 * while the last batch was with Redis; up to `BATCH_EVENTS`), and settle in
 * that order: a run's events need not each wait for the one before
 * (`Backplane.publishNoWait`), and none overtakes another, whatever Redis
 * answers. `publish`, a run's end, and a
 * `publishNoWait` past the queues' bounds (`Tuning`) wait for their seq.
 *
 * Redis slow is not Redis away. A publish not answered within the command
 * timeout may still run (it waits in Redis's queue), so it is asked again
 * with the same token, up to `ATTEMPTS_WHILE_SLOW` times in all, and the retry
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

/** The bounds of a listener's catching up, and of the runs' ends a node owes. */
export interface Tuning extends FollowerTuning {
  /** runs' ends a node owes at most at once (their `agent_completed` not confirmed by Redis) ... */
  readonly owedEnds: number
  /** ... and their frames' bytes (UTF-16 units), at most: past either the oldest is given up */
  readonly owedChars: number
  /**
   * catch-up passes (an epoch restart, history pages) a node runs at once, at most, whatever started them: after
   * a reconnection or a failover every user it serves (one follower each) needs one; the rest wait here, in
   * order, not queued on the connection ahead of live publishes (0 counts as 1)
   */
  readonly recoveryPasses: number
  /** past this many of a user's events waiting for their turn with Redis, `publishNoWait` waits for its seq ... */
  readonly userQueueEvents: number
  /** ... and past this many of their frames' UTF-16 units */
  readonly userQueueChars: number
  /** ... and past this many UTF-16 units of every user's on the node (so a slow Redis holds little) */
  readonly nodeQueueChars: number
  /** how long a node going away waits for its users' queues to settle, at most */
  readonly queuesOnStopMs: number
}

/**
 * The defaults: a page as a resume reads it; about a second of a busy user's
 * events held; a failing catch-up asked again after 250 ms, doubling to 8 s;
 * the ends owed of the runs a node was running when Redis went slow or away
 * (the run limits bound them), past which the oldest is given up: logged,
 * its end recorded without the event (its run's slot is not kept), its
 * `agent_completed` seen only by this node's connections; 4 catch-up passes
 * at once (each a page in Redis's output buffer at most); a user's events
 * waiting for Redis, 64 or 256 Ki UTF-16 units, and 16 Mi on the node, before
 * a run waits for each event's seq; 5 s for those queues to settle when the
 * node goes away.
 */
export const defaultTuning: Tuning = {
  page: defaultReadLimit,
  holdEvents: 1_000,
  holdBytes: 1024 * 1024,
  retryMs: 250,
  retryMaxMs: 8_000,
  owedEnds: 10_000,
  owedChars: 16 * 1024 * 1024,
  recoveryPasses: 4,
  userQueueEvents: 64,
  userQueueChars: 256 * 1024,
  nodeQueueChars: 16 * 1024 * 1024,
  queuesOnStopMs: 5_000
}

/** Attempts of one script while Redis is slow (a publish, a read, a catch-up; each bounded by `REDIS_COMMAND_TIMEOUT_MS`). */
export const ATTEMPTS_WHILE_SLOW = 3

/** Runs' ends owed now (their `agent_completed` not confirmed by Redis yet), on the nodes of this process. */
export const runEndsOwed = Metric.gauge("switchyard_redis_run_ends_owed", {
  description: "agent runs whose agent_completed (and the record of their end) Redis has not confirmed yet: published again once it answers"
})

/** Events handed over to Redis and not settled yet (a user's queue, or the batch with Redis), on the nodes of this process. */
export const publishesQueued = Metric.gauge("switchyard_redis_publishes_queued", {
  description: "stream events handed over to Redis and not settled yet (waiting in a user's queue, or in the batch with Redis): more than a few while Redis is slow"
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

// a user's events one publish script takes at most, and their frames' UTF-16 units (an event over it goes
// alone): well within the tokens a retry finds (`PUBLISH_TOKENS`), and a short script
const BATCH_EVENTS = 32
const BATCH_CHARS = 256 * 1024

// publish tokens: this process's random tag and a counter (a retry carries its first attempt's)
const processTag = randomBytes(4).toString("hex")
let published = 0

/** An event as the publish script takes it. */
interface Outgoing {
  readonly event: PendingEvent
  readonly token: string
  /** its token may have been published already (a caller's own token): looked for at the first attempt */
  readonly maybePublished: boolean
  readonly guard: LeaseGuard | undefined
  readonly end: RunEnd | undefined
}

/** A run's `agent_completed` Redis did not confirm: published again, same token, until Redis answers. */
interface OwedEnd extends Outgoing {
  readonly userId: string
  readonly end: RunEnd
}

/** A publish in its user's queue: who waits for its seq, if anyone, and whether it settled. */
interface Queued extends Outgoing {
  readonly waiter: Deferred.Deferred<number> | undefined
  settled: boolean
}

/** The channel of a user's stream. */
const channelOf = (prefix: string, userId: string) => `${prefix}st:{${keyPart(userId)}}`

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

    // these scripts read, or write what is the same written twice: tried again while Redis is slow
    const tried = (which: RedisScript, userId: string, args: ReadonlyArray<string | number>) =>
      retryTimeouts(attempt(which, userId, args), ATTEMPTS_WHILE_SLOW)
    // an infrastructure failure the caller cannot handle: a defect at this boundary (Backplane's contract)
    const script = (which: RedisScript, userId: string, args: ReadonlyArray<string | number>) =>
      Effect.orDie(tried(which, userId, args))

    const read = (userId: string, afterSeq: number, limit: ReadLimit = defaultReadLimit): Effect.Effect<HistorySlice> =>
      Effect.map(script(Scripts.read, userId, [afterSeq, limit.maxEvents, limit.maxBytes]), (reply) => {
        const values = reply as Array<number | string>
        const latestSeq = Number(values[0])
        if (latestSeq === 0 && values.length === 2 && Number(values[1]) === -1) return emptySlice
        const oldest = Number(values[1])
        return { entries: Scripts.entriesOf(values, 2), oldestSeq: oldest === -1 ? undefined : oldest, latestSeq }
      })

    const historyStore = HistoryStore.of({
      append: (userId, entry) =>
        Effect.flatMap(Epoch.make, (epoch) =>
          Effect.asVoid(script(Scripts.append, userId, [epoch, entry.seq, entry.frame, entry.at]))),
      read,
      forget: (userId) => {
        // (the stream's keys share its channel's name as their stem)
        const key = channelOf(prefix, userId)
        return Effect.orDie(Effect.asVoid(redis.run((client) => client.del(`${key}:m`, `${key}:x`, `${key}:p`))))
      }
    })

    // How a local listener follows a user's stream: `follows` (below) subscribes the listener's
    // `StreamFollower` and reads the position; the follower puts what Redis sends in seq order. The followers
    // are kept per user in `followers`, for what a publish does while Redis is away (`publishLocally`).
    // Note: a publish Redis confirmed is not given here at once: it comes back on the channel, to every node.
    const followers = new Map<string, Set<StreamFollower>>()
    // those that were given events only here and have not caught up with Redis since
    const diverging = new Set<StreamFollower>()

    // Redis answers one connection's commands in order: a catch-up for each of thousands of users (a
    // reconnection, a failover) sent at once would hold this node's publishes behind them, and their pages in
    // Redis's output buffer. A few passes at a time, in the order they asked: a slot covers one follower's pass
    // (its restart and pages, each bounded by the command timeout and its retries); its pauses and its wait for
    // Redis hold none
    const recovery = new FifoSlots(tuning.recoveryPasses)

    const followerNode: FollowerNode = {
      tuning,
      catchUpPage: (userId, fresh, afterSeq, lastFrameSha1) =>
        tried(
          Scripts.catchUp,
          userId,
          [fresh, afterSeq, tuning.page.maxEvents, tuning.page.maxBytes, lastFrameSha1]
        ) as Effect.Effect<ReadonlyArray<number | string>, RedisError>,
      restart: (userId, epoch, fresh) => tried(Scripts.restart, userId, [epoch, fresh]),
      recovering: (pass) => recovery.withSlot(pass),
      unreadable: () => redis.unreadable("streams"),
      whenConnected: redis.whenConnected,
      diverging,
      fork: (effect) => void Runtime.runFork(runtime)(effect)
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
      unconfirmedLog.failed(`${ATTEMPTS_WHILE_SLOW} attempts of REDIS_COMMAND_TIMEOUT_MS`)
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

    // the script's results, one per event of `batch`, in order; `retry`: every token may have been published
    const publishOnce = (userId: string, batch: ReadonlyArray<Outgoing>, retry: boolean) =>
      Effect.flatMap(Epoch.make, (epoch) => {
        const args: Array<string | number> = [epoch, batch.length]
        for (const { end, event, guard, maybePublished, token } of batch) {
          args.push(event.head, event.tail, event.at, token, guard?.name ?? "", guard?.holder ?? "", retry || maybePublished ? 1 : 0)
          args.push(end?.runId ?? "", end?.owner ?? "")
        }
        return Effect.map(attempt(Scripts.publish, userId, args), (reply) => reply as ReadonlyArray<unknown>)
      })

    // runs' ends not confirmed yet, by token, oldest first
    const owed = new Map<string, OwedEnd>()
    let owedChars = 0
    const charsOf = (entry: Outgoing) => entry.event.head.length + entry.event.tail.length
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
        // (owed once: a send loop that died owing it owes it again)
        if (owed.has(entry.token)) return Effect.void
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
    const anyDiverged = (userId: string): boolean => {
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
        failed || anyDiverged(entry.userId) ? Effect.void : Effect.matchEffect(
          publishOnce(entry.userId, [entry], true),
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
    // a node going away tries what it still owes once more; what Redis still did not take is given up with the
    // node (its runs, recorded running, are ended NODE_LOST by a survivor once its lease expires) and no longer
    // counted: the gauge is of the living nodes' ends
    const dropOwed = Effect.suspend(() => {
      const left = Array.from(owed.values())
      if (left.length === 0) return Effect.void
      return Effect.zipRight(
        Effect.forEach(left, forgetOwed, { discard: true }),
        Effect.logWarning(`backplane: ${left.length} runs' ends Redis did not take are given up as the node stops`)
      )
    })
    yield* Effect.addFinalizer(() => Effect.zipRight(payOwed, dropOwed))
    // listeners given events only here catch up (their epoch ends) while Redis is up: after a Redis that refused
    // writes (full, a replica) and never dropped the subscription, no restored subscription would start them,
    // and their users' owed ends wait for them (`anyDiverged`)
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

    const settle = (item: Queued, seq: number): void => {
      item.settled = true
      if (item.waiter !== undefined) Deferred.unsafeDone(item.waiter, Exit.succeed(seq))
    }
    // a run's end not confirmed: owed (the run stays recorded running in Redis until it is)
    const oweEnd = (userId: string, item: Queued): Effect.Effect<void> =>
      item.end === undefined
        ? Effect.void
        : owe({ userId, event: item.event, token: item.token, maybePublished: true, guard: item.guard, end: item.end })
    /**
     * Publishes `batch`, one script, and settles each of its events in order: its seq, or where Redis did not
     * take it, its local delivery (`notTaken`); a run's end not confirmed is owed. After a timeout the batch is
     * asked again, same tokens, queued behind the first attempt.
     */
    const sendBatch = (userId: string, batch: ReadonlyArray<Queued>, retry: boolean): Effect.Effect<void> => {
      const each = (outcome: (item: Queued, index: number) => Effect.Effect<number>) =>
        Effect.forEach(batch, (item, index) => Effect.map(outcome(item, index), (seq) => settle(item, seq)), { discard: true })
      const owing = (item: Queued, outcome: Effect.Effect<number>) => Effect.zipLeft(outcome, oweEnd(userId, item))
      const failed = (error: RedisError): Effect.Effect<void> =>
        error.reason === "Script" && batch.length > 1
          // a script that failed part-way may have published the events before the failure: each is asked
          // again alone, as a retry (one published gets its seq back), so that none is delivered twice
          ? Effect.forEach(batch, (item) => sendBatch(userId, [item], true), { discard: true })
          : each((item) => owing(item, notTaken(userId, item.event, error)))
      // one result per event: its seq, -1 (its guard lapsed) or -2 (its run not this node's), both settled as 0.
      // An answer of another shape came from a script that ran: its events may be published, so never delivered
      // here too (a batch's are asked again alone, as retries; one alone is not confirmed)
      const answered = (results: ReadonlyArray<unknown>) =>
        Array.isArray(results) && results.length === batch.length
          ? each((_, index) => confirmed(Math.max(0, Number(results[index]) || 0)))
          : batch.length > 1
          ? failed(new RedisError({ reason: "Script", detail: `${Scripts.publish.name}: an answer of another shape` }))
          : each((item) => owing(item, unconfirmed))
      const confirm = (left: number): Effect.Effect<void> =>
        Effect.matchEffect(publishOnce(userId, batch, true), {
          onSuccess: answered,
          onFailure: (error) =>
            error.reason !== "Timeout" ? failed(error) : left > 1 ? confirm(left - 1) : each((item) => owing(item, unconfirmed))
        })
      return Effect.matchEffect(publishOnce(userId, batch, retry), {
        onSuccess: answered,
        onFailure: (error) => error.reason === "Timeout" ? confirm(ATTEMPTS_WHILE_SLOW - 1) : failed(error)
      })
    }

    // a send loop that died (a defect: nothing here fails) settles what it held as not published, and owes the
    // runs' ends among them, so no sender waits for ever
    const abandon = (userId: string, left: ReadonlyArray<Queued>, cause: Cause.Cause<never>): Effect.Effect<void> =>
      Effect.suspend(() => {
        const unsettled = left.filter((item) => !item.settled)
        for (const item of unsettled) settle(item, 0)
        return Effect.zipRight(
          Effect.forEach(unsettled, (item) => Effect.catchAllCause(oweEnd(userId, item), () => Effect.void), { discard: true }),
          Effect.annotateLogs(
            Effect.logError(`backplane: ${unsettled.length} events of a user were not published (${safeReason(Cause.squash(cause))})`),
            { user_id: userId }
          )
        )
      })
    // one batch of a user's events with Redis at a time, so that they settle in the order given, and a failure's
    // local delivery never overtakes an earlier event
    const queues = new PublishQueues<Queued>(runtime, {
      batchItems: BATCH_EVENTS,
      batchSize: BATCH_CHARS,
      userItems: tuning.userQueueEvents,
      userSize: tuning.userQueueChars,
      nodeSize: tuning.nodeQueueChars
    }, {
      sizeOf: charsOf,
      send: (userId, batch) => sendBatch(userId, batch, false),
      abandon,
      counted: (delta) => publishesQueued.unsafeModify(delta, [])
    })
    // a node going away lets its users' queues settle first, for a while (each batch is bounded by its attempts'
    // timeouts; what is left after that settles once the connection is closed)
    yield* Effect.addFinalizer(() => Effect.ignore(Effect.timeout(queues.allSettled, Duration.millis(tuning.queuesOnStopMs))))

    /**
     * Hands `event` over to the user's queue, behind the user's publishes not settled yet; completes at once,
     * or (`wait`; a run's end; the user's or the node's queue past its bounds) with the event's seq once it
     * settled. A waiting caller interrupted does not take the event back.
     */
    const handOver = (userId: string, event: PendingEvent, wait: boolean): Effect.Effect<number> =>
      Effect.flatMap(FiberRef.get(currentLeaseGuard), (guard) =>
        Effect.flatMap(FiberRef.get(currentRunEnd), (end) =>
          Effect.suspend(() => {
            const waiter = wait || end !== undefined || queues.full(userId) ? Deferred.unsafeMake<number>(FiberId.none) : undefined
            // a caller's token may have been published before (its publish is made again): looked for at once
            const token = event.token ?? `${processTag}${(++published).toString(36)}`
            queues.push(userId, { event, token, maybePublished: event.token !== undefined, guard, end, waiter, settled: false })
            return waiter === undefined ? Effect.succeed(0) : Deferred.await(waiter)
          })
        )
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
        const following = new StreamFollower(followerNode, userId, listener)
        yield* Effect.addFinalizer(() => Effect.sync(() => following.close()))
        // subscribed first, so every event after the position read next reaches the listener
        yield* Effect.orDie(redis.subscribe(channelOf(prefix, userId), following))
        yield* Effect.acquireRelease(
          Effect.sync(() => {
            let local = followers.get(userId)
            if (local === undefined) followers.set(userId, local = new Set())
            local.add(following)
          }),
          () =>
            Effect.sync(() => {
              const local = followers.get(userId)
              if (local !== undefined && local.delete(following) && local.size === 0) followers.delete(userId)
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
      publish: (userId, event) => handOver(userId, event, true),
      publishNoWait: (userId, event) => Effect.asVoid(handOver(userId, event, false)),
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
