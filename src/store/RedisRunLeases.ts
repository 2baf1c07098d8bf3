import { randomBytes, randomUUID } from "node:crypto"
import { Clock, Deferred, Duration, Effect, Exit, Layer, Metric, Option, Runtime, Schedule, Schema } from "effect"
import { AdmissionFallback } from "../observability/AdmissionFallback.js"
import { OutageLog } from "../observability/OutageLog.js"
import type { LeaseGuard, RunEnd } from "./Backplane.js"
import { fromKeyPart, keyPart, Redis, type RedisError, redisText } from "./Redis.js"
import { RedisSettings } from "./RedisSettings.js"
import * as Scripts from "./RedisRunScripts.js"
import {
  type LeasedRun,
  type LostRun,
  type QuotaRefusal,
  type RemoteStop,
  type RunLocation,
  RunLeases,
  RunOwnerUnreachable,
  type StopAnswer,
  type StopServer
} from "./RunLeases.js"

/**
 * The Redis `RunLeases` (cluster mode). Each node is an owner — its node id
 * and a per-process token, so a node restarted under the same `NODE_ID` does
 * not inherit its past self's lease — holding a lease key it renews every
 * quarter of the lease. A run start is one script: the user's limits counted
 * over every node, and the run recorded under the owner and the user. Its
 * end is recorded by the script that publishes its `agent_completed`
 * (`takeEnd` gives the marker: `RedisStreamScripts.publish`, `endRunLua`).
 * A `stop_agent` for a run elsewhere goes to the owner's control channel and
 * waits (bounded) for its answer. Every node sweeps for owners whose lease
 * expired; the sweep is one script that takes their runs out of the records,
 * so exactly one node gets each lost run; it is given to `onLost` until it
 * succeeded (the sweep's answer may be lost to a timeout), then taken off.
 *
 * The lease is held by a generation. A node that could not renew for a whole
 * lease (Redis away or too slow for it) takes its lease as lapsed — a
 * survivor may already have ended its runs `NODE_LOST` — tells `lapses`, and
 * renews under a new generation: the renewal that succeeds claims, as a
 * survivor would, what the old generation left, so those runs end `NODE_LOST`
 * exactly once even with no survivor. The run's events carry the generation
 * (`guard`): Redis refuses any published after the lease left it.
 */

/** The settings of run ownership. */
export interface Options {
  /** how long an owner's runs stay its own without a renewal (a dead node's runs end this long after its death at most, plus a sweep) */
  readonly leaseMs: number
  /** how long a stop request waits for the owner's answer, and an owner for the requester's ack */
  readonly answerTimeoutMs: number
}

/** Messages on an owner's control channel. */
const ControlMessage = Schema.parseJson(Schema.Union(
  Schema.Struct({ t: Schema.Literal("stop"), id: Schema.String, from: Schema.String, user: Schema.String, run: Schema.String }),
  Schema.Struct({ t: Schema.Literal("answer"), id: Schema.String, answer: Schema.Literal("NotFound", "Stopped", "AlreadyEnded") }),
  Schema.Struct({ t: Schema.Literal("acked"), id: Schema.String })
))
type ControlMessage = typeof ControlMessage.Type
const decodeControl = Schema.decodeUnknownOption(ControlMessage)
const encodeControl = (message: ControlMessage): string => JSON.stringify(message)

/** A record the store did not take (Redis away), written again with the next renewal. */
interface Unsynced {
  readonly userId: string
  readonly kind: "start" | "end"
}

const NO_LIMIT = -1
const WINDOW_MS = 60_000

/** Lapses of this node's run lease (it could not renew in time): its runs were stopped, to end NODE_LOST. */
export const leaseLapses = Metric.counter("switchyard_run_lease_lapses_total", {
  description: "times this node's run lease lapsed (its runs stopped, ended NODE_LOST by their claimer)",
  incremental: true
})

const newGeneration = () => randomBytes(6).toString("hex")

/** The store of node `nodeId` on the node's `Redis`, for the scope's life. */
export const make = Effect.fnUntraced(function*(nodeId: string, options: Options) {
  const redis = yield* Redis
  const runtime = yield* Effect.runtime<never>()
  const fork = Runtime.runFork(runtime)
  const prefix = redis.prefix
  const owner = `${nodeId}/${randomBytes(4).toString("hex")}`
  const ownerKey = keyPart(owner)
  const aliveKey = `${prefix}runs:alive:${ownerKey}`
  const controlOf = (target: string) => redis.key(`runs:ctl:${keyPart(target)}`)
  const answerTimeout = Duration.millis(options.answerTimeoutMs)
  const fallback = new AdmissionFallback()

  /** this node's stop requests waiting for their answer */
  const answers = new Map<string, Deferred.Deferred<StopAnswer>>()
  /** runs this node stopped for another node: they wait for its ack */
  const acks = new Map<string, Deferred.Deferred<void>>()
  let server: StopServer | undefined = undefined
  /** by run id, in the order they happened */
  const unsynced = new Map<string, Unsynced>()
  /** the generation that holds (or is to take) the lease */
  let generation = newGeneration()
  /** when the last renewal that held was sent (the lease runs at least a lease from then); none: not held */
  let renewedAt: number | undefined = undefined
  /** the runs recorded under the lease now, by run id: the user's */
  const leased = new Map<string, string>()
  /** the guards of runs just admitted, until their registry takes them (`takeGuard`) */
  const guards = new Map<string, LeaseGuard>()
  // one renewal at a time: two would each take the lease with a generation of their own
  const renewing = yield* Effect.makeSemaphore(1)
  let onLapse: ((runs: ReadonlyArray<LeasedRun>) => Effect.Effect<void>) | undefined = undefined

  const publish = (target: string, message: ControlMessage) =>
    redis.run((client) => client.publish(controlOf(target), encodeControl(message)))

  const admitScript = (userId: string, runId: string, now: number, perMinute: number, concurrent: number) => {
    const keys = Scripts.userKeys(prefix, userId)
    return Effect.map(
      redis.eval(Scripts.admit, [keys.running, keys.starts, keys.ended], [
        prefix, ownerKey, owner, generation, runId, keyPart(userId), now, perMinute, concurrent, WINDOW_MS
      ]),
      (reply) => reply as [number, number?]
    )
  }

  const recordEnd = (userId: string, runId: string, now: number): Effect.Effect<void, RedisError> =>
    Effect.asVoid(redis.eval(Scripts.ended, [], [prefix, ownerKey, keyPart(userId), runId, now]))

  /** A run's end recorded by itself (no event carries it): a start not recorded yet and its end cancel out. */
  const endWithoutEvent = (userId: string, runId: string): Effect.Effect<void> =>
    Effect.suspend(() => {
      leased.delete(runId)
      if (unsynced.get(runId)?.kind === "start") return Effect.sync(() => keep(runId, { userId, kind: "end" }))
      // written now, or (Redis away) with the next renewal
      return Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.catchAll(recordEnd(userId, runId, now), () => Effect.sync(() => keep(runId, { userId, kind: "end" }))))
    })

  /** Keeps what the store did not take, to write it with the next renewal: a start and its end cancel out. */
  const keep = (runId: string, entry: Unsynced) => {
    const earlier = unsynced.get(runId)
    if (earlier !== undefined && earlier.kind === "start" && entry.kind === "end") unsynced.delete(runId)
    else unsynced.set(runId, entry)
  }

  /** The lease lapsed: the runs recorded under it are no longer this node's. */
  const lapse = (why: string) =>
    Effect.suspend(() => {
      renewedAt = undefined
      generation = newGeneration()
      const runs = Array.from(leased, ([runId, userId]) => ({ runId, userId }))
      leased.clear()
      return Effect.zipRight(
        Effect.zipRight(
          Metric.increment(leaseLapses),
          Effect.logWarning(`runs: this node's lease lapsed (${why}): ${runs.length} run(s) stopped, to end NODE_LOST`)
        ),
        onLapse === undefined || runs.length === 0 ? Effect.void : onLapse(runs)
      )
    })

  const renew = renewing.withPermits(1)(Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    // ends owed first: a run that ended here must not be claimed as lost by the renewal
    for (const [runId, entry] of Array.from(unsynced)) {
      if (entry.kind !== "end") continue
      yield* recordEnd(entry.userId, runId, now)
      unsynced.delete(runId)
    }
    const next = newGeneration()
    const reply = (yield* redis.eval(Scripts.renew, [], [prefix, ownerKey, generation, next, options.leaseMs, now])) as [number, number?]
    if (reply[0] === 0) {
      // not held by this generation: lapsed in Redis before this node saw it (its runs were claimed there)
      if (leased.size > 0) yield* lapse("not held in Redis any more")
      generation = next
    }
    renewedAt = now
    // starts owed: recorded under the lease now held (they run on; nobody else knows them)
    for (const [runId, entry] of Array.from(unsynced)) {
      const [code] = yield* admitScript(entry.userId, runId, now, NO_LIMIT, NO_LIMIT)
      if (code === 0) leased.set(runId, entry.userId)
      unsynced.delete(runId)
    }
  }))

  // a renewal is tried 4 times a lease: while Redis is away each fails, said once per outage
  const renewals = new OutageLog("runs: lease not renewed", "runs: lease held again")
  const renewOrSay = Effect.matchEffect(renew, {
    onFailure: (error) => renewals.failed(error.message),
    onSuccess: () => renewals.succeeded
  })
  // Redis away at start (REDIS_REQUIRED=false): the lease is taken by the first renewal that reaches it
  yield* renewOrSay
  yield* renewOrSay.pipe(
    Effect.repeat(Schedule.spaced(Duration.millis(Math.max(1, Math.floor(options.leaseMs / 4))))),
    Effect.forkScoped
  )
  // the lease's own clock: not renewed for a whole lease (from when the last renewal that held was sent), it
  // may have expired in Redis and its runs been claimed — they stop here before any survivor's sweep
  yield* Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    if (renewedAt !== undefined && now - renewedAt >= options.leaseMs) yield* lapse("no renewal for REDIS_RUN_LEASE_MS")
  }).pipe(
    Effect.repeat(Schedule.spaced(Duration.millis(Math.max(1, Math.floor(options.leaseMs / 20))))),
    Effect.forkScoped
  )
  // a node going away writes what it still owes (runs ended while Redis was away)
  yield* Effect.addFinalizer(() => Effect.ignore(renew))

  const serve = (message: Extract<ControlMessage, { t: "stop" }>) =>
    Effect.gen(function*() {
      const acked = yield* Deferred.make<void>()
      acks.set(message.id, acked)
      // the requester's ack goes out before the run's `cancelled`; a requester that vanished holds it no longer than the bound
      const acknowledged = Deferred.await(acked).pipe(
        Effect.timeout(answerTimeout),
        Effect.ignore,
        Effect.ensuring(Effect.sync(() => acks.delete(message.id)))
      )
      const answer: StopAnswer = server === undefined ? "NotFound" : yield* server(message.user, message.run, acknowledged)
      if (answer !== "Stopped") acks.delete(message.id)
      yield* publish(message.from, { t: "answer", id: message.id, answer })
    }).pipe(Effect.catchAllCause((cause) => Effect.logWarning("runs: a stop request was not answered", cause)))

  const listen = redis.subscribe(controlOf(owner), {
    onMessage: (raw) => {
      const decoded = decodeControl(raw)
      if (Option.isNone(decoded)) return redis.unreadable("runs")
      const message = decoded.value
      switch (message.t) {
        case "stop":
          fork(serve(message))
          return
        case "answer": {
          const waiting = answers.get(message.id)
          if (waiting !== undefined) Deferred.unsafeDone(waiting, Exit.succeed(message.answer))
          return
        }
        case "acked": {
          const waiting = acks.get(message.id)
          if (waiting !== undefined) Deferred.unsafeDone(waiting, Exit.void)
          return
        }
      }
    }
  })
  // listening now, or (Redis away at start) in the background once Redis answers; until then stop
  // requests for this node's runs find no listener and are answered UNAVAILABLE by their sender
  const listening = yield* Effect.either(listen)
  if (listening._tag === "Left") yield* Effect.forkScoped(Effect.retry(listen, Schedule.spaced("1 second")))

  const unreachable = (target: string, detail: string) => new RunOwnerUnreachable({ owner: target, detail })

  const sweep = (onLost: (run: LostRun) => Effect.Effect<boolean>) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const reply = (yield* redis.eval(Scripts.claimLost, [], [prefix, ownerKey, now])) as Array<string>
      for (let i = 0; i + 2 < reply.length; i += 3) {
        const runId = reply[i + 1]!
        const ended = yield* Effect.catchAllCause(
          onLost({ userId: fromKeyPart(reply[i]!), runId, owner: fromKeyPart(reply[i + 2]!) }),
          (cause) => Effect.as(Effect.logWarning("runs: a lost run could not be ended yet", cause), false)
        )
        // ended: off this node's list (if this fails, the next sweep gives it again: `onLost` is idempotent)
        if (ended) yield* redis.eval(Scripts.lostEnded, [], [prefix, ownerKey, runId])
      }
    }).pipe(Effect.catchAll((error) => Effect.logDebug("runs: no sweep for lost runs", error.message)))

  return RunLeases.of({
    owner,
    shared: true,
    admit: (userId, runId, quota, now) => {
      const perMinute = quota.perMinute === Infinity ? NO_LIMIT : quota.perMinute
      const concurrent = quota.concurrent === Infinity ? NO_LIMIT : quota.concurrent
      let sentUnder = generation
      const once = Effect.suspend(() => {
        sentUnder = generation
        return admitScript(userId, runId, now, perMinute, concurrent)
      })
      return once.pipe(
        // the lease is not held by this generation (lapsed, or not taken yet): taken first, then asked again
        Effect.flatMap((reply) => reply[0] === 3 ? Effect.zipRight(renew, once) : Effect.succeed(reply)),
        Effect.flatMap(([code, retry]): Effect.Effect<QuotaRefusal | undefined, RedisError> => {
          if (code === 1) return Effect.succeed({ reason: "Concurrent", retryAfterMs: Number(retry) })
          if (code === 2) return Effect.succeed({ reason: "PerMinute", retryAfterMs: Number(retry) })
          if (code !== 0) {
            keep(runId, { userId, kind: "start" })
            return Effect.succeed(undefined)
          }
          if (sentUnder !== generation) {
            // the lease lapsed while the run was being admitted under it: it does not start (its record goes)
            return Effect.as(recordEnd(userId, runId, now), { reason: "Concurrent", retryAfterMs: 1000 })
          }
          leased.set(runId, userId)
          guards.set(runId, { name: aliveKey, holder: sentUnder })
          return Effect.succeed(undefined)
        }),
        // Redis away (or too slow): the node's own limiter decides — counted, and said at most once a minute;
        // the run is recorded once Redis is back
        Effect.catchAll((error) =>
          Effect.suspend(() => {
            keep(runId, { userId, kind: "start" })
            return Effect.as(fallback.record("runs", error.message), undefined)
          })
        )
      )
    },
    takeEnd: (userId, runId) =>
      Effect.suspend((): Effect.Effect<RunEnd | undefined> =>
        // recorded under the lease: its end goes with its `agent_completed`, in the publish's script
        leased.delete(runId)
          ? Effect.succeed({ runId, owner: ownerKey, withoutEvent: endWithoutEvent(userId, runId) })
          : Effect.as(endWithoutEvent(userId, runId), undefined)
      ),
    locate: (userId, runId) => {
      const keys = Scripts.userKeys(prefix, userId)
      return redis.eval(Scripts.locate, [keys.running, keys.ended], [redisText(runId)]).pipe(
        Effect.map((reply): RunLocation => {
          const [state, where] = reply as [string, string?]
          if (state === "running") return { _tag: "Running", owner: String(where) }
          return state === "ended" ? { _tag: "Ended" } : { _tag: "Unknown" }
        }),
        // Redis away: this node cannot know of runs elsewhere
        Effect.orElseSucceed((): RunLocation => ({ _tag: "Unknown" }))
      )
    },
    requestStop: (target, userId, runId): Effect.Effect<RemoteStop, RunOwnerUnreachable> => {
      const id = randomUUID()
      return Effect.gen(function*() {
        const answered = yield* Deferred.make<StopAnswer>()
        answers.set(id, answered)
        const receivers = yield* Effect.mapError(
          publish(target, { t: "stop", id, from: owner, user: userId, run: runId }),
          (error) => unreachable(target, error.message)
        )
        if (receivers === 0) return yield* unreachable(target, "it is not listening")
        const answer = yield* Deferred.await(answered).pipe(
          Effect.timeoutFail({ duration: answerTimeout, onTimeout: () => unreachable(target, "no answer in time") })
        )
        return { answer, acknowledged: Effect.ignore(publish(target, { t: "acked", id })) }
      }).pipe(Effect.ensuring(Effect.sync(() => answers.delete(id))))
    },
    serveStops: (stops) =>
      Effect.acquireRelease(
        Effect.sync(() => {
          server = stops
        }),
        () =>
          Effect.sync(() => {
            server = undefined
          })
      ),
    lost: (onLost) =>
      sweep(onLost).pipe(
        // a quarter of the lease, so a lost run ends at most 1.25 leases after its owner's last renewal
        Effect.repeat(Schedule.spaced(Duration.millis(Math.max(1, Math.floor(options.leaseMs / 4))))),
        Effect.forkScoped,
        Effect.asVoid
      ),
    lapses: (handler) =>
      Effect.acquireRelease(
        Effect.sync(() => {
          onLapse = handler
        }),
        () =>
          Effect.sync(() => {
            onLapse = undefined
          })
      ),
    takeGuard: (runId) => {
      const guard = guards.get(runId)
      guards.delete(runId)
      return guard
    }
  })
})

/**
 * The store of this node: `NODE_ID`'s lease of `REDIS_RUN_LEASE_MS`, answers within `REDIS_COMMAND_TIMEOUT_MS`.
 * Runs' ends are recorded by the Redis backplane's publish (`RedisStreams`), so provide that beside it:
 * with another backplane an ended run stays recorded running (the user's slot taken) until this node restarts.
 */
export const layer = (nodeId: string): Layer.Layer<RunLeases, never, Redis | RedisSettings> =>
  Layer.scoped(
    RunLeases,
    Effect.flatMap(RedisSettings, (settings) =>
      make(nodeId, { leaseMs: settings.runLeaseMs, answerTimeoutMs: settings.commandTimeoutMs }))
  )

/** The store with given options (tests). */
export const layerWith = (nodeId: string, options: Options): Layer.Layer<RunLeases, never, Redis> =>
  Layer.scoped(RunLeases, make(nodeId, options))
