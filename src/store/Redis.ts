import { createHash } from "node:crypto"
import { Context, Data, Deferred, Duration, Effect, Exit, FiberId, Layer, Metric, Option, Redacted, Runtime, type Scope } from "effect"
import type { Redis as IORedis } from "ioredis"
import * as Metrics from "../observability/Metrics.js"
import { OncePerMinute } from "../observability/OncePerMinute.js"
import { RedisSettings, type RedisSettingsShape } from "./RedisSettings.js"
import * as Wtf8 from "./Wtf8.js"

/**
 * The connection of this node to Redis (cluster mode): one connection for
 * commands and one for pub/sub (ioredis cannot run commands on a connection
 * that subscribed), both bounded while Redis is away — no offline queue, one
 * attempt per command, a command timeout — so a lost Redis makes calls fail
 * fast instead of buffering without limit. Reconnection goes on in the
 * background for the connection's life; subscriptions are restored on it.
 */

/**
 * Why a Redis call failed; a closed set. `Timeout`: the command was sent on a
 * live connection and not answered in time (Redis slow: it may still run it,
 * in order); `Unavailable`: there was no connection to send it on, or it was
 * lost under the command (Redis down). Callers tell the two apart: a slow
 * Redis is not a lost one.
 *
 * `detail` is safe to log: the error's name and Redis's error code, never
 * its message's rest nor the ioredis error itself, which carries the
 * command's arguments (user ids, frames) — so no `cause` is kept.
 */
export class RedisError extends Data.TaggedError("RedisError")<{
  readonly reason: "Unreachable" | "Unavailable" | "Timeout" | "Script" | "Unknown"
  readonly detail: string
}> {
  override get message(): string {
    return `redis: ${this.reason}: ${this.detail}`
  }
}

/**
 * An id (a user's, a message's, a node's) as it goes into a key or channel
 * name: the hex of its UTF-8 (WTF-8, so that ids differing only in lone
 * surrogates stay apart). Injective, and made of `[0-9a-f]` only, so no
 * id can close a hash tag (`}`), reach into the name around it or collide
 * with another's keys; the Lua scripts get ids encoded, never raw.
 */
export const keyPart = (id: string): string => Wtf8.encode(id).toString("hex")

/** The id a `keyPart` was made of. */
export const fromKeyPart = (part: string): string => Wtf8.decode(Buffer.from(part, "hex"))

/**
 * A client's text (a frame's `id`) as a Redis field or script argument: the
 * string itself, which ioredis sends as UTF-8, unless it holds a lone
 * surrogate, which UTF-8 would turn into U+FFFD (two ids one field): then
 * its WTF-8 bytes.
 */
export const redisText = (text: string): string | Buffer => Wtf8.isWellFormed(text) ? text : Wtf8.encode(text)

/**
 * `<length>:<text>` at `from` in a channel message (the stage and stream channels' format for a field that
 * may hold anything): the text and where the rest starts; undefined if the length is none or overruns.
 */
export const lengthPrefixed = (
  message: string,
  from: number
): { readonly text: string; readonly end: number } | undefined => {
  const colon = message.indexOf(":", from)
  const length = Number(message.slice(from, colon))
  if (colon <= from || !Number.isSafeInteger(length) || length < 0 || colon + 1 + length > message.length) return undefined
  return { text: message.slice(colon + 1, colon + 1 + length), end: colon + 1 + length }
}

/**
 * What may be said of a failure without its arguments: the error's class
 * name, and its code (a Node socket code such as `ECONNREFUSED`, or the
 * first word of a Redis error reply such as `ERR`, `NOSCRIPT`, `BUSY`).
 */
export const safeReason = (cause: unknown): string => {
  if (!(cause instanceof Error)) return typeof cause
  const name = /^[A-Za-z]{1,40}$/.test(cause.name) ? cause.name : "Error"
  const code = (cause as { readonly code?: unknown }).code
  if (typeof code === "string" && /^[A-Z0-9_]{1,32}$/.test(code)) return `${name} ${code}`
  const word = /^([A-Z]{2,16})\b/.exec(cause.message)
  return word === null ? name : `${name} ${word[1]}`
}

/** What the node knows of its Redis, for `/ready` and the metrics. */
export interface RedisHealth {
  /** both connections ready */
  readonly connected: boolean
  readonly status: "connecting" | "connected" | "reconnecting" | "closed"
  /** times the node got its connections back after losing them */
  readonly reconnects: number
  /** the last connection error seen, if any */
  readonly lastError: string | undefined
}

// every script made in this process (module constants): loaded into Redis whenever a command connection is made
const scripts = new Set<RedisScript>()

/**
 * A Lua script, run by its SHA1 (`EVALSHA`): loaded into Redis each time the node's command connection is
 * made, and sent whole if Redis answers that it does not know it.
 */
export class RedisScript {
  readonly sha: string
  constructor(readonly name: string, readonly lua: string) {
    this.sha = createHash("sha1").update(lua).digest("hex")
    scripts.add(this)
  }
}

/** Receives the messages of a subscribed channel, and hears when a lost subscription was restored. */
export interface ChannelListener {
  readonly onMessage: (message: string) => void
  /** after Redis came back: messages published meanwhile were lost (read them from where they are kept) */
  readonly onRestored?: () => void
}

/** The Redis connection of this node. */
export class Redis extends Context.Tag("switchyard/store/Redis")<Redis, {
  /** `REDIS_PREFIX`, put before every key and channel */
  readonly prefix: string
  /** The prefixed name of a key or channel. */
  readonly key: (name: string) => string
  /** Runs commands on the command connection (an ioredis call, or a pipeline of them). */
  readonly run: <A>(command: (client: IORedis) => Promise<A>) => Effect.Effect<A, RedisError>
  /** Runs a Lua script with its (already prefixed) keys and arguments. */
  readonly eval: (
    script: RedisScript,
    keys: ReadonlyArray<string>,
    args: ReadonlyArray<string | number | Buffer>
  ) => Effect.Effect<unknown, RedisError>
  /**
   * Subscribes `listener` to `channel` (already prefixed) for the scope's
   * life: completes once Redis confirmed the subscription, so nothing
   * published after it is missed. Subscriptions of one channel are shared.
   */
  readonly subscribe: (channel: string, listener: ChannelListener) => Effect.Effect<void, RedisError, Scope.Scope>
  /** The state of the connections now. */
  readonly health: Effect.Effect<RedisHealth>
  /** Completes once both connections are ready: at once if they are, else when Redis is back. */
  readonly whenConnected: Effect.Effect<void>
  /**
   * A message or value read from Redis that this node cannot read (written by a node of another version,
   * or by hand), of the store `kind`: not used by the caller (ignored; a dedupe result's frame is refused),
   * counted here and said at most once a minute per kind.
   */
  readonly unreadable: (kind: UnreadableKind) => void
}>() {}

/**
 * Where it was read (the label of `switchyard_redis_unreadable_total`): a store that reads what other nodes
 * wrote, or `listener_threw` (a channel listener threw on a message: a bug of this node's, or a message no
 * store's decoding foresaw).
 */
export type UnreadableKind = "streams" | "stages" | "connections" | "nodes" | "runs" | "dedupe" | "listener_threw"

/** Messages and values read from Redis that this node could not read, by store: not used. */
export const redisUnreadable = Metric.counter("switchyard_redis_unreadable_total", {
  description: "messages and values read from Redis this node could not read (another version's, or written by hand), by store: ignored (a dedupe result: its frame refused)",
  incremental: true
})

/** 1 while both connections to Redis are ready, 0 otherwise. */
export const redisConnected = Metric.gauge("switchyard_redis_connected", {
  description: "1 while the connections to Redis are ready"
})

/** Reconnections to Redis since start. */
export const redisReconnects = Metric.counter("switchyard_redis_reconnects_total", {
  description: "reconnections to Redis since start",
  incremental: true
})

// ioredis's own messages for "sent, no answer in time" and "no connection to send on / lost under it"
const TIMED_OUT = /^Command timed out/
const NOT_CONNECTED = /enableOfflineQueue|Connection is closed|Stream isn't writeable|max retries|Command aborted|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE/i
// replies of a Redis that did not run the command and cannot now: loading its data, a script running too
// long, full at its maxmemory, or a replica (READONLY). A script's first write that needs memory is refused
// (OOM), never one after it: the scripts write nothing before it, or make their first write one (restart).
// Redis 6 wraps a script's OOM or READONLY in its own error (`ERR Error running script ... -OOM ...`).
const NOT_SERVING = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|OOM|READONLY)\b|^ERR Error running script.*-(OOM|READONLY)\b/
// a failover made the server this connection is on a replica: a new connection finds the new primary (a managed
// Redis's name moves to it); ioredis would otherwise keep writing to the replica for ever
const ON_A_REPLICA = /^READONLY\b|^ERR Error running script.*-READONLY\b/
// how soon the connection is made again after the last such reconnection, at first; twice as long each time after
const REPLICA_FIRST_PAUSE_MS = 1_000
const REPLICA_MAX_PAUSE_MS = 10_000
// ... and from 1 s again only after this long with no READONLY past the pause (a failover flapping faster
// is paced as one: each reconnection makes every listener of the node catch up)
const REPLICA_QUIET_MS = 60_000

const toRedisError = (cause: unknown): RedisError => {
  const message = cause instanceof Error ? cause.message : ""
  const name = cause instanceof Error ? cause.name : ""
  if (TIMED_OUT.test(message)) return new RedisError({ reason: "Timeout", detail: "no answer within REDIS_COMMAND_TIMEOUT_MS" })
  if (NOT_CONNECTED.test(message) || name === "MaxRetriesPerRequestError" || name === "AbortError") {
    return new RedisError({ reason: "Unavailable", detail: `not connected (${safeReason(cause)})` })
  }
  if (NOT_SERVING.test(message)) return new RedisError({ reason: "Unavailable", detail: `not serving (${safeReason(cause)})` })
  if (name === "ReplyError") return new RedisError({ reason: "Script", detail: safeReason(cause) })
  return new RedisError({ reason: "Unknown", detail: safeReason(cause) })
}

/**
 * Runs `effect` (an idempotent command, or one made so) again while it fails
 * with `Timeout`, `attempts` times in all: each attempt queues behind the
 * last on the same connection, so a slow Redis answers the retry once it ran
 * the first. `Unavailable` (Redis lost) is not retried here.
 */
export const retryTimeouts = <A>(effect: Effect.Effect<A, RedisError>, attempts: number): Effect.Effect<A, RedisError> =>
  // by hand, not `Effect.retry`: that builds a schedule and its driver on every call, failed or not
  attempts <= 1
    ? effect
    : Effect.catchIf(effect, (error) => error.reason === "Timeout", () => retryTimeouts(effect, attempts - 1))

/** host:port of a Redis URL, without its credentials (for error messages and logs). */
const where = (url: string): string => {
  try {
    const parsed = new URL(url)
    return `${parsed.hostname}:${parsed.port || "6379"}`
  } catch {
    return "(unparsable REDIS_URL)"
  }
}

const clientOptions = (settings: RedisSettingsShape) => ({
  lazyConnect: true,
  // bounded while Redis is away: a command fails at once instead of waiting in a queue
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: settings.commandTimeoutMs,
  connectTimeout: settings.connectTimeoutMs,
  // the pub/sub connection's channels are restored by `subscribe`'s own bookkeeping
  autoResubscribe: false,
  // reconnect for ever, backing off up to the configured pause
  retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 10), settings.reconnectMaxDelayMs)
})

/**
 * ioredis's `reconnectOnError` for the command connection: `1` (connect
 * again; the command fails, it did not run) on a `READONLY` reply, and
 * `failedOver` told — at once the first time, then not within 1 s of the
 * last reconnection, twice as long each time up to 10 s while the server
 * stays a replica. A URL that names a replica (or a name slow to move at a
 * failover) must not have the connection made again at every write: each
 * time, every user's commands on the node fail until it is back, reads a
 * replica would answer among them. A minute past the pause with no
 * `READONLY` starts from 1 s again.
 */
export const reconnectOnReadonly = (failedOver: () => void = () => {}, now: () => number = Date.now) => {
  let last = Number.NEGATIVE_INFINITY
  let pause = 0
  return (error: Error): 1 | false => {
    if (!ON_A_REPLICA.test(error.message)) return false
    const at = now()
    if (at - last < pause) return false
    pause = at - last >= pause + REPLICA_QUIET_MS ? REPLICA_FIRST_PAUSE_MS : Math.min(2 * pause, REPLICA_MAX_PAUSE_MS)
    last = at
    failedOver()
    return 1
  }
}

const updateMetric = (effect: Effect.Effect<void>) => Effect.runSync(effect)

/** The connection for the scope's life, with the given settings. */
export const make = Effect.fnUntraced(function*(settings: RedisSettingsShape) {
  if (Option.isNone(settings.url)) {
    return yield* new RedisError({ reason: "Unreachable", detail: "REDIS_URL is not set" })
  }
  const url = Redacted.value(settings.url.value)
  const at = where(url)
  const options = clientOptions(settings)

  const state = {
    commands: "connecting" as IORedis["status"],
    subscriber: "connecting" as IORedis["status"],
    reconnects: 0,
    lastError: undefined as string | undefined,
    wasReady: false
  }
  const connected = () => state.commands === "ready" && state.subscriber === "ready"
  const health = (): RedisHealth => ({
    connected: connected(),
    status: connected()
      ? "connected"
      : state.commands === "end" || state.subscriber === "end"
      ? "closed"
      : state.wasReady
      ? "reconnecting"
      : "connecting",
    reconnects: state.reconnects,
    lastError: state.lastError
  })

  // channel → its listeners; the set Redis must have, restored after every reconnection
  const channels = new Map<string, Set<ChannelListener>>()
  // channels whose SUBSCRIBE is on its way: later listeners wait for the same confirmation
  const confirming = new Map<string, Promise<unknown>>()

  // loaded here, not at the top: a node without REDIS_URL never pays for ioredis (~2 MiB of heap, more of RSS)
  const { Redis: Client } = yield* Effect.promise(() => import("ioredis"))
  const commands = yield* Effect.acquireRelease(
    Effect.sync(() => new Client(url, { ...options, reconnectOnError: reconnectOnReadonly(() => failedOver()) })),
    (client) => Effect.sync(() => client.disconnect())
  )
  const subscriber = yield* Effect.acquireRelease(
    Effect.sync(() => new Client(url, options)),
    (client) => Effect.sync(() => client.disconnect())
  )
  // a failover (READONLY): the pub/sub connection is made again too, to the new primary; its listeners catch up
  // once it is restored (`onRestored`), and find there what the failover lost of what they were given
  const failedOver = () => subscriber.disconnect(true)

  // (a failed load leaves the NOSCRIPT fallback of each call)
  const loadScripts = () => {
    const loading = commands.pipeline()
    for (const script of scripts) loading.script("LOAD", script.lua)
    loading.exec().catch(() => undefined)
  }

  const ready = yield* Deferred.make<void>()
  // who waits for the connections to be back (`whenConnected`): let go at the next `ready` of both
  let waiting = yield* Deferred.make<void>()
  const watch = (client: IORedis, which: "commands" | "subscriber") => {
    client.on("error", (error: Error) => {
      state.lastError = safeReason(error)
    })
    client.on("reconnecting", () => {
      state[which] = "reconnecting"
      updateMetric(Metric.set(redisConnected, 0))
    })
    client.on("close", () => {
      if (state[which] === "ready") state[which] = "close"
      updateMetric(Metric.set(redisConnected, 0))
    })
    client.on("end", () => {
      state[which] = "end"
      updateMetric(Metric.set(redisConnected, 0))
    })
    client.on("ready", () => {
      // first on the connection (Redis runs one connection's commands in order): a Redis that restarted has no
      // scripts, and its NOSCRIPT to a call of a slow Redis would come after the call's timeout, unseen, so that
      // the call's retries (by SHA) would never run
      if (which === "commands") loadScripts()
      state[which] = "ready"
      if (which === "subscriber" && channels.size > 0) restore()
      if (connected()) {
        // connected again after having been: one reconnection, however many attempts it took
        if (state.wasReady) {
          state.reconnects++
          updateMetric(Metric.increment(redisReconnects))
        }
        state.wasReady = true
        updateMetric(Metric.set(redisConnected, 1))
        Deferred.unsafeDone(ready, Exit.void)
        const released = waiting
        waiting = Deferred.unsafeMake<void>(FiberId.none)
        Deferred.unsafeDone(released, Exit.void)
      }
    })
  }
  watch(commands, "commands")
  watch(subscriber, "subscriber")

  const runtime = yield* Effect.runtime<never>()
  const unreadableLog = new OncePerMinute()
  const unreadable = (kind: UnreadableKind, why = "") => {
    Metrics.count(redisUnreadable, { kind })
    if (!unreadableLog.due(kind, Date.now())) return
    Runtime.runFork(runtime)(
      Effect.logWarning(`redis: ${kind}: a message or value this node cannot read${why}; not used (said at most once a minute)`)
    )
  }
  // Anything with Redis's address can publish, and a node of another version may publish what this one cannot
  // read: a listener that throws must not take the process down (ioredis calls these from its socket's data
  // handler, or a promise, where a throw is uncaught), nor keep the message from the channel's other listeners
  const callGuarded = (listener: ChannelListener, call: (listener: ChannelListener) => void) => {
    try {
      call(listener)
    } catch (error) {
      unreadable("listener_threw", ` (${safeReason(error)})`)
    }
  }
  subscriber.on("message", (channel: string, message: string) => {
    const listeners = channels.get(channel)
    if (listeners !== undefined) for (const listener of listeners) callGuarded(listener, (l) => l.onMessage(message))
  })

  // after a reconnection the pub/sub connection has no channels: subscribe the wanted set again
  const restore = () => {
    const wanted = [...channels.keys()]
    subscriber.subscribe(...wanted).then(
      () => {
        for (const channel of wanted) {
          const listeners = channels.get(channel)
          if (listeners !== undefined) for (const listener of listeners) callGuarded(listener, (l) => l.onRestored?.())
        }
      },
      // lost again meanwhile: the next `ready` tries again
      (error: Error) => {
        state.lastError = safeReason(error)
      }
    )
  }

  // the first attempt; later ones are the retry strategy's (a failed first attempt is one of them)
  commands.connect().catch(() => undefined)
  subscriber.connect().catch(() => undefined)

  if (settings.required) {
    yield* Effect.timeoutFail(Deferred.await(ready), {
      duration: Duration.millis(settings.connectTimeoutMs),
      onTimeout: () =>
        new RedisError({
          reason: "Unreachable",
          detail: `no answer from ${at} within ${settings.connectTimeoutMs} ms` +
            (state.lastError === undefined ? "" : ` (${state.lastError})`) +
            " — start Redis, fix REDIS_URL, or set REDIS_REQUIRED=false to start degraded"
        })
    })
  } else {
    yield* Effect.logWarning(`Redis at ${at} not reachable yet: starting degraded, reconnecting in the background`).pipe(
      Effect.unlessEffect(Effect.sync(connected))
    )
  }

  const run = <A>(command: (client: IORedis) => Promise<A>): Effect.Effect<A, RedisError> =>
    Effect.tryPromise({ try: () => command(commands), catch: toRedisError })

  const evalScript = (script: RedisScript, keys: ReadonlyArray<string>, args: ReadonlyArray<string | number | Buffer>) =>
    Effect.tryPromise({
      try: () =>
        commands.evalsha(script.sha, keys.length, ...keys, ...args).catch((error: Error) =>
          // Redis's script cache flushed under a live connection (a restart reconnects, and loads them again)
          error.message.startsWith("NOSCRIPT") ? commands.eval(script.lua, keys.length, ...keys, ...args) : Promise.reject(error)
        ),
      catch: (cause) => {
        const error = toRedisError(cause)
        return error.reason === "Script" ? new RedisError({ reason: "Script", detail: `${script.name}: ${error.detail}` }) : error
      }
    })

  const subscribe = (channel: string, listener: ChannelListener): Effect.Effect<void, RedisError, Scope.Scope> =>
    Effect.acquireRelease(
      Effect.tryPromise({
        try: () => {
          let listeners = channels.get(channel)
          if (listeners !== undefined) {
            listeners.add(listener)
            return confirming.get(channel) ?? Promise.resolve()
          }
          listeners = new Set([listener])
          channels.set(channel, listeners)
          const confirmed = subscriber.subscribe(channel).finally(() => {
            if (confirming.get(channel) === confirmed) confirming.delete(channel)
          })
          confirming.set(channel, confirmed)
          return confirmed
        },
        catch: (cause) => {
          // not subscribed: forget the listener (the caller sees the failure)
          unlisten(channel, listener)
          return toRedisError(cause)
        }
      }),
      () => Effect.sync(() => unlisten(channel, listener))
    )

  const unlisten = (channel: string, listener: ChannelListener) => {
    const listeners = channels.get(channel)
    if (listeners === undefined || !listeners.delete(listener) || listeners.size > 0) return
    channels.delete(channel)
    // a failed UNSUBSCRIBE leaves nothing behind: a reconnection restores only the wanted channels
    if (subscriber.status === "ready") subscriber.unsubscribe(channel).catch(() => undefined)
  }

  return Redis.of({
    prefix: settings.prefix,
    key: (name) => settings.prefix + name,
    run,
    eval: evalScript,
    subscribe,
    health: Effect.sync(health),
    whenConnected: Effect.suspend(() => (connected() ? Effect.void : Deferred.await(waiting))),
    unreadable: (kind) => unreadable(kind)
  })
})

/** The connection with the given settings (tests, embedders). */
export const layerWith = (settings: RedisSettingsShape): Layer.Layer<Redis, RedisError> =>
  Layer.scoped(Redis, make(settings))

/** The connection with the node's `RedisSettings` (`REDIS_URL`, `REDIS_PREFIX`, ...). */
export const layer: Layer.Layer<Redis, RedisError, RedisSettings> = Layer.scoped(
  Redis,
  Effect.flatMap(RedisSettings, make)
)
