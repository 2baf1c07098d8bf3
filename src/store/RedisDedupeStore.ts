import { randomBytes } from "node:crypto"
import { Clock, Deferred, Duration, Effect, Exit, identity, Layer, Option, Schema } from "effect"
import {
  type Claim,
  type DedupeOptions,
  DedupeStore,
  DedupeStoreError,
  New,
  Pending,
  type SharedWaits
} from "./DedupeStore.js"
import { jsonLength } from "./JsonLength.js"
import { keyPart, Redis, type RedisError, redisText, retryTimeouts } from "./Redis.js"
import * as Scripts from "./RedisDedupeScripts.js"
import { defaults, RedisSettings } from "./RedisSettings.js"

/**
 * The dedupe store shared by every node (cluster mode): a claim is one Lua
 * script doing what `SET NX PX` does — the id is the caller's only if nobody
 * holds it — plus the bounds of `DedupeOptions`, all atomic in Redis. A
 * duplicate on node B of an id that node A still processes waits for A's
 * outcome: a notification on the id's channel wakes it, a poll every
 * `POLL_MS` covers a notification lost with a connection, and A's claim
 * holds the id for `leaseMs` at most (A died: a later claim takes it over).
 *
 * Redis slow (a command not answered within `REDIS_COMMAND_TIMEOUT_MS`, the
 * connection up) is not Redis down: every step is tried again, up to
 * `TIMEOUT_ATTEMPTS` times, and the retry queues behind the first attempt —
 * a claim carries a token, so its retry finds its own claim and is still the
 * caller's; a completion or an expiry is the same whether it ran once or
 * twice. Keys and channels carry the user and the id hex-encoded (`keyPart`).
 *
 * The waits of chains for claims are kept here too (`SharedWaits`: a hash of
 * edges per user, checked and written by one script), so that a cycle of
 * waits through chains on different nodes is refused as on one node.
 *
 * Bytes are counted as the result's JSON (UTF-8 bytes, as stored) plus the id
 * plus 128 per entry: Redis itself spends about 150-250 bytes per entry (a
 * hash field, two sorted-set members with their skiplist nodes, the global
 * member repeating user and id), so the bounds hold the results to within
 * about that much per entry; with small results the real memory is up to
 * about twice the counted bytes.
 */

// what an entry costs besides its result and id (the memory store's figure, for the same bounds)
const ENTRY_OVERHEAD = 128
// how often a waiter looks again if no notification came (a lost message, a reconnection)
const POLL_MS = 200
// attempts of one step while Redis is slow (each bounded by the command timeout)
const TIMEOUT_ATTEMPTS = 3
// claim tokens: this process's tag and a counter (a retry of one claim carries the same)
const processTag = randomBytes(4).toString("hex")
let claims = 0

const storeError = (error: RedisError): DedupeStoreError =>
  new DedupeStoreError({
    reason: error.reason === "Script" || error.reason === "Unknown" ? "Unknown" : "Unavailable",
    detail: error.message
  })

/**
 * A stored result as `complete` and `record` wrote it, none when it does not parse (decoded as the other
 * Redis stores decode what they read back). Any JSON value is one: an object mostly, but a legacy backend's
 * plain value is passed through to its ack as it is.
 */
const storedResult: (json: string) => Option.Option<unknown> = Schema.decodeUnknownOption(Schema.parseJson())

/** The store on the node's `Redis`, with the given bounds; a claim in progress holds its id for `leaseMs`. */
export const make = (options: DedupeOptions, leaseMs: number = defaults.dedupeLeaseMs) =>
  Effect.gen(function*() {
    const redis = yield* Redis
    const { maxBytes, maxBytesPerUser, maxResultBytes, windowMs } = options
    const maxEntries = Math.max(options.maxEntries, options.minEntries)
    const prefix = redis.prefix
    // the keys of a user stay until nobody touched them for a window (and a lease in progress)
    const ttlMs = windowMs + leaseMs
    const channel = (userId: string, id: string) => `${prefix}dd:{${keyPart(userId)}}:s:${keyPart(id)}`

    // one step, tried again while Redis is slow (the clock read once: a retry is the same step)
    const script = <A>(
      which: typeof Scripts.claim,
      args: ReadonlyArray<string | number | Buffer>,
      f: (reply: unknown) => A
    ): Effect.Effect<A, DedupeStoreError> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.mapBoth(retryTimeouts(redis.eval(which, [], [prefix, now, windowMs, ENTRY_OVERHEAD, ...args]), TIMEOUT_ATTEMPTS), {
          onFailure: storeError,
          onSuccess: f
        }))

    // a result this node cannot parse (damaged, or another version's) is not answered as a `Duplicate`: the
    // claim fails `Unreadable`, and the frame is not processed again, since its first run may have done what
    // it asked
    const toClaim = (reply: unknown): Effect.Effect<Claim, DedupeStoreError> => {
      const [tag, json] = reply as [string, string | undefined]
      if (tag === "N") return Effect.succeed(New)
      if (tag === "P") return Effect.succeed(Pending)
      const stored = json === undefined ? Option.none() : storedResult(json)
      if (Option.isSome(stored)) return Effect.succeed({ _tag: "Duplicate", result: stored.value as object })
      redis.unreadable("dedupe")
      return Effect.fail(new DedupeStoreError({ reason: "Unreadable", detail: "a stored result this node cannot read" }))
    }

    const claim = (userId: string, id: string): Effect.Effect<Claim, DedupeStoreError> =>
      Effect.suspend(() => {
        const token = `${processTag}${(++claims).toString(36)}`
        return Effect.flatMap(script(Scripts.claim, [keyPart(userId), redisText(id), leaseMs, ttlMs, token], identity), toClaim)
      })

    const expire = (userId: string, id: string): Effect.Effect<void, DedupeStoreError> =>
      script(Scripts.expire, [keyPart(userId), redisText(id), channel(userId, id)], () => undefined)

    const bounds = [maxEntries, maxBytesPerUser, maxBytes, ttlMs] as const

    const complete = (userId: string, id: string, result: object): Effect.Effect<void, DedupeStoreError> =>
      // too long to remember: processed again if retried, as the memory store does
      jsonLength(result, maxResultBytes) === undefined
        ? expire(userId, id)
        : script(
          Scripts.complete,
          [keyPart(userId), redisText(id), JSON.stringify(result), ...bounds, channel(userId, id)],
          () => undefined
        )

    // not retried on a timeout: a first attempt that ran would make the retry a `Duplicate` of itself
    const record = (userId: string, id: string, result: object): Effect.Effect<Claim, DedupeStoreError> =>
      jsonLength(result, maxResultBytes) === undefined
        ? Effect.succeed(New)
        : Effect.flatMap(Clock.currentTimeMillis, (now) =>
          redis.eval(Scripts.record, [], [
            prefix,
            now,
            windowMs,
            ENTRY_OVERHEAD,
            keyPart(userId),
            redisText(id),
            JSON.stringify(result),
            ...bounds
          ]).pipe(Effect.mapError(storeError), Effect.flatMap(toClaim)))

    // whether a claim of the id is in progress (and its lease not run out)
    const inProgress = (userId: string, id: string) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.mapBoth(redis.run((client) => client.hget(`${prefix}dd:{${keyPart(userId)}}:e`, redisText(id))), {
          onFailure: storeError,
          onSuccess: (value) => value !== null && value.startsWith("P") && Number.parseInt(value.slice(1), 10) > now
        }))

    const settled = (userId: string, id: string): Effect.Effect<void, DedupeStoreError> =>
      Effect.scoped(Effect.gen(function*() {
        let wake = yield* Deferred.make<void>()
        const signal = { onMessage: () => Deferred.unsafeDone(wake, Exit.void), onRestored: () => Deferred.unsafeDone(wake, Exit.void) }
        // subscribed before looking, so an outcome after the look is never missed
        yield* Effect.mapError(redis.subscribe(channel(userId, id), signal), storeError)
        // ends at the latest when the claim's lease runs out: `inProgress` is then false
        for (;;) {
          wake = yield* Deferred.make<void>()
          if (!(yield* inProgress(userId, id))) return
          yield* Effect.raceFirst(Deferred.await(wake), Effect.sleep(Duration.millis(POLL_MS)))
        }
      }))

    // a retried `enter` whose first attempt ran meets its own edges only past a held id: the same answer
    const sharedWaits: SharedWaits = {
      enter: (userId, held, wanted) =>
        script(Scripts.enterWait, [keyPart(userId), redisText(wanted), leaseMs, ...held.map(redisText)], (reply) => reply === 1),
      leave: (userId, held, wanted) => script(Scripts.leaveWait, [keyPart(userId), redisText(wanted), ...held.map(redisText)], () => undefined)
    }

    return DedupeStore.of({ claim, record, complete, expire, settled, sync: undefined, sharedWaits })
  })

/** The Redis store with the given bounds and lease (tests, embedders). */
export const layerWith = (
  options: DedupeOptions,
  leaseMs: number = defaults.dedupeLeaseMs
): Layer.Layer<DedupeStore, never, Redis> => Layer.effect(DedupeStore, make(options, leaseMs))

/** The Redis store with the given bounds and the lease of the node's `RedisSettings`. */
export const layer = (options: DedupeOptions): Layer.Layer<DedupeStore, never, Redis | RedisSettings> =>
  Layer.effect(DedupeStore, Effect.flatMap(RedisSettings, (settings) => make(options, settings.dedupeLeaseMs)))
