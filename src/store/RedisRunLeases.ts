import { randomBytes, randomUUID } from "node:crypto"
import { Clock, Deferred, Duration, Effect, Exit, Layer, Option, Runtime, Schedule, Schema } from "effect"
import { Redis, type RedisError } from "./Redis.js"
import { RedisSettings } from "./RedisSettings.js"
import * as Scripts from "./RedisRunScripts.js"
import {
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
 * third of the lease. A run start is one script: the user's limits counted
 * over every node, and the run recorded under the owner and the user.
 * A `stop_agent` for a run elsewhere goes to the owner's control channel and
 * waits (bounded) for its answer. Every node sweeps for owners whose lease
 * expired; the sweep is one script that takes their runs out of the records,
 * so exactly one node gets each lost run.
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

/** The store of node `nodeId` on the node's `Redis`, for the scope's life. */
export const make = Effect.fnUntraced(function*(nodeId: string, options: Options) {
  const redis = yield* Redis
  const runtime = yield* Effect.runtime<never>()
  const fork = Runtime.runFork(runtime)
  const prefix = redis.prefix
  const owner = `${nodeId}/${randomBytes(4).toString("hex")}`
  const controlOf = (target: string) => redis.key(`runs:ctl:${target}`)
  const answerTimeout = Duration.millis(options.answerTimeoutMs)

  /** this node's stop requests waiting for their answer */
  const answers = new Map<string, Deferred.Deferred<StopAnswer>>()
  /** runs this node stopped for another node: they wait for its ack */
  const acks = new Map<string, Deferred.Deferred<void>>()
  let server: StopServer | undefined = undefined
  /** by run id, in the order they happened */
  const unsynced = new Map<string, Unsynced>()

  const publish = (target: string, message: ControlMessage) =>
    redis.run((client) => client.publish(controlOf(target), encodeControl(message)))

  const record = (runId: string, entry: Unsynced, now: number): Effect.Effect<void, RedisError> => {
    const keys = Scripts.userKeys(prefix, entry.userId)
    return entry.kind === "start"
      ? Effect.asVoid(redis.eval(Scripts.admit, [keys.running, keys.starts, keys.ended], [
        prefix, owner, options.leaseMs, runId, entry.userId, now, NO_LIMIT, NO_LIMIT, WINDOW_MS
      ]))
      : Effect.asVoid(redis.eval(Scripts.ended, [keys.running, keys.ended], [prefix, owner, runId, now]))
  }

  /** Keeps what the store did not take, to write it with the next renewal: a start and its end cancel out. */
  const keep = (runId: string, entry: Unsynced) => {
    const earlier = unsynced.get(runId)
    if (earlier !== undefined && earlier.kind === "start" && entry.kind === "end") unsynced.delete(runId)
    else unsynced.set(runId, entry)
  }

  const renew = Effect.gen(function*() {
    yield* redis.eval(Scripts.renew, [], [prefix, owner, options.leaseMs])
    const now = yield* Clock.currentTimeMillis
    for (const [runId, entry] of Array.from(unsynced)) {
      yield* record(runId, entry, now)
      unsynced.delete(runId)
    }
  })

  // Redis away at start (REDIS_REQUIRED=false): the lease is taken by the first renewal that reaches it
  yield* Effect.ignore(redis.eval(Scripts.renew, [], [prefix, owner, options.leaseMs]))
  yield* renew.pipe(
    Effect.catchAll((error) => Effect.logWarning("runs: lease not renewed", error.message)),
    Effect.repeat(Schedule.spaced(Duration.millis(Math.max(1, Math.floor(options.leaseMs / 3))))),
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
      if (Option.isNone(decoded)) return
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

  const sweep = (onLost: (run: LostRun) => Effect.Effect<void>) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const reply = (yield* redis.eval(Scripts.claimLost, [], [prefix, owner, now])) as Array<string>
      for (let i = 0; i + 2 < reply.length; i += 3) {
        yield* onLost({ owner: reply[i]!, userId: reply[i + 1]!, runId: reply[i + 2]! })
      }
    }).pipe(Effect.catchAll((error) => Effect.logDebug("runs: no sweep for lost runs", error.message)))

  return RunLeases.of({
    owner,
    shared: true,
    admit: (userId, runId, quota, now) => {
      const keys = Scripts.userKeys(prefix, userId)
      return redis.eval(Scripts.admit, [keys.running, keys.starts, keys.ended], [
        prefix,
        owner,
        options.leaseMs,
        runId,
        userId,
        now,
        quota.perMinute === Infinity ? NO_LIMIT : quota.perMinute,
        quota.concurrent === Infinity ? NO_LIMIT : quota.concurrent,
        WINDOW_MS
      ]).pipe(
        Effect.map((reply): QuotaRefusal | undefined => {
          const [code, retry] = reply as [number, number?]
          if (code === 1) return { reason: "Concurrent", retryAfterMs: Number(retry) }
          if (code === 2) return { reason: "PerMinute", retryAfterMs: Number(retry) }
          return undefined
        }),
        // Redis away: the node's own limiter decides; the run is recorded once Redis is back
        Effect.catchAll(() =>
          Effect.sync((): QuotaRefusal | undefined => {
            keep(runId, { userId, kind: "start" })
            return undefined
          })
        )
      )
    },
    ended: (userId, runId) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.catchAll(record(runId, { userId, kind: "end" }, now), () =>
          Effect.sync(() => keep(runId, { userId, kind: "end" })))),
    locate: (userId, runId) => {
      const keys = Scripts.userKeys(prefix, userId)
      return redis.eval(Scripts.locate, [keys.running, keys.ended], [runId]).pipe(
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
      )
  })
})

/** The store of this node: `NODE_ID`'s lease of `REDIS_RUN_LEASE_MS`, answers within `REDIS_COMMAND_TIMEOUT_MS`. */
export const layer = (nodeId: string): Layer.Layer<RunLeases, never, Redis | RedisSettings> =>
  Layer.scoped(
    RunLeases,
    Effect.flatMap(RedisSettings, (settings) =>
      make(nodeId, { leaseMs: settings.runLeaseMs, answerTimeoutMs: settings.commandTimeoutMs }))
  )

/** The store with given options (tests). */
export const layerWith = (nodeId: string, options: Options): Layer.Layer<RunLeases, never, Redis> =>
  Layer.scoped(RunLeases, make(nodeId, options))
