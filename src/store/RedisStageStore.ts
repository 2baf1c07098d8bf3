import { randomUUID } from "node:crypto"
import { Effect, Layer, Queue, Runtime, Schedule, type Scope } from "effect"
import { Redis, RedisScript } from "./Redis.js"
import { type StageChange, StageStore, type StoredStage } from "./StageStore.js"

/**
 * The Redis `StageStore` (cluster mode): one hash of the stored stages
 * (type → JSON) and one channel of their changes, both under the prefix. A
 * `set` stores and announces in one script, so every node observes a type's
 * changes in the order they were stored. An announcement carries the id of
 * the store that made it, and a store skips its own (`changes` reports other
 * nodes' changes only: a node applies its own as it makes them). A node that lost its subscription
 * (Redis restarted, a connection dropped) is given every stored stage again
 * as changes once it is back, so it converges on what is stored.
 */

// ARGV: hash, channel, type, value JSON, origin
const setScript = new RedisScript(
  "stages.set",
  `
redis.call('HSET', ARGV[1], ARGV[3], ARGV[4])
redis.call('PUBLISH', ARGV[2], string.len(ARGV[5]) .. ':' .. ARGV[5] .. string.len(ARGV[3]) .. ':' .. ARGV[3] .. ARGV[4])
return 1
`
)

const parseStage = (json: string): StoredStage => JSON.parse(json) as StoredStage

// `<origin length>:<origin><type length>:<type><value JSON>`
const parseAnnouncement = (message: string): { readonly origin: string; readonly change: StageChange } => {
  const first = message.indexOf(":")
  const originEnd = first + 1 + Number(message.slice(0, first))
  const second = message.indexOf(":", originEnd)
  const typeEnd = second + 1 + Number(message.slice(originEnd, second))
  return {
    origin: message.slice(first + 1, originEnd),
    change: { type: message.slice(second + 1, typeEnd), value: parseStage(message.slice(typeEnd)) }
  }
}

/** The store of one node on the node's `Redis`. */
export const make = Effect.gen(function*() {
  const redis = yield* Redis
  const runtime = yield* Effect.runtime<never>()
  const hash = redis.key("stages")
  const channel = redis.key("stages:changes")
  // this store's identity in its announcements (one per node: a node makes one store)
  const origin = randomUUID()

  // Redis away (a degraded start, an outage): the node keeps the stages it has, and converges when
  // Redis is back (every stored stage is reported again then)
  const all = Effect.map(
    redis.run((client) => client.hgetall(hash)),
    (stored) => new Map(Object.entries(stored).map(([type, json]) => [type, parseStage(json)] as const))
  ).pipe(
    Effect.catchAll((error) =>
      Effect.as(Effect.logWarning("stage store: Redis away, no stored stages read", error.message), new Map<string, StoredStage>())
    )
  )

  const changes: Effect.Effect<Queue.Dequeue<StageChange>, never, Scope.Scope> = Effect.gen(function*() {
    // stage changes are rare (an operator, a rollback): the queue is as long as the changes not taken yet
    const queue = yield* Effect.acquireRelease(Queue.unbounded<StageChange>(), Queue.shutdown)
    const reportAll = Effect.flatMap(all, (stored) =>
      Queue.offerAll(queue, Array.from(stored, ([type, value]) => ({ type, value }))))
    const subscribe = redis.subscribe(channel, {
      onMessage: (message) => {
        const { change, origin: from } = parseAnnouncement(message)
        if (from !== origin) Queue.unsafeOffer(queue, change)
      },
      onRestored: () => Runtime.runFork(runtime)(reportAll)
    })
    // subscribed now, or (Redis away at start) in the background once Redis answers, then all reported
    const first = yield* Effect.either(subscribe)
    if (first._tag === "Left") {
      yield* Effect.forkScoped(subscribe.pipe(
        Effect.retry(Schedule.spaced("1 second")),
        Effect.zipRight(reportAll)
      ))
    }
    return queue
  })

  return StageStore.of({
    get: (type) =>
      Effect.map(
        redis.run((client) => client.hget(hash, type)),
        (json) => (json === null ? undefined : parseStage(json))
      ).pipe(Effect.orElseSucceed(() => undefined)),
    all,
    set: (type, value) => Effect.orDie(Effect.asVoid(redis.eval(setScript, [], [hash, channel, type, JSON.stringify(value), origin]))),
    changes
  })
})

/** The Redis `StageStore` of this node. */
export const layer: Layer.Layer<StageStore, never, Redis> = Layer.effect(StageStore, make)
