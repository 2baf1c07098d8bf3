import { randomUUID } from "node:crypto"
import { Effect, Either, Layer, Option, Queue, Runtime, Schedule, Schema, type Scope } from "effect"
import { lengthPrefixed, Redis, RedisScript } from "./Redis.js"
import { type StageChange, StageStore, type StoredStage } from "./StageStore.js"

/**
 * The Redis `StageStore` (cluster mode): one hash of the stored stages
 * (type → JSON) and one channel of their changes, both under the prefix. A
 * `set` stores and announces in one script, so every node observes a type's
 * changes in the order they were stored. An announcement carries the id of
 * the store that made it, and a store skips its own (`changes` reports other
 * nodes' changes only: a node applies its own as it makes them). A node that lost its subscription
 * (Redis restarted, a connection dropped) is given every stored stage again
 * as changes once it is back, and so is one that fell behind a flood of
 * announcements (`MAX_PENDING_CHANGES`), so it converges on what is stored. What it
 * reads back is decoded, not trusted (another version's node, or a hand, may
 * have written it): what does not decode is no stage and no change.
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

/**
 * A stored stage as another node (of this version or another) or a hand wrote it: read, not trusted —
 * what does not decode is no stage (its type keeps the stage it has); fields a newer version adds are dropped.
 * (Typed as `StoredStage`, so the two cannot drift apart.)
 */
const StoredStageJson: Schema.Schema<StoredStage, string> = Schema.parseJson(Schema.Struct({
  stage: Schema.String,
  canaryPercent: Schema.Int.pipe(Schema.between(0, 100)),
  rollback: Schema.optional(Schema.Struct({ at: Schema.String, reason: Schema.String }))
}))
const parseStage: (json: string) => Option.Option<StoredStage> = Schema.decodeUnknownOption(StoredStageJson)

// `<origin length>:<origin><type length>:<type><value JSON>`; none if it is not one
const parseAnnouncement = (message: string): Option.Option<{ readonly origin: string; readonly change: StageChange }> =>
  Option.flatMap(Option.fromNullable(lengthPrefixed(message, 0)), (origin) =>
    Option.flatMap(Option.fromNullable(lengthPrefixed(message, origin.end)), (type) =>
      Option.map(parseStage(message.slice(type.end)), (value) => ({
        origin: origin.text,
        change: { type: type.text, value }
      }))))

/** Stage changes another node announced that this node has not taken yet, at most (see `changes`). */
export const MAX_PENDING_CHANGES = 1024

/**
 * The longest announcement read (UTF-16 units; a longer one is unreadable): a real one is at most about 500 (a
 * node id, a type, a stage and a rollback's reason), and what the changes held keep alive stays within about
 * twice MAX_PENDING_CHANGES times this (a type is a slice of its message; a reason is parsed from it).
 */
export const MAX_ANNOUNCEMENT_CHARS = 4 * 1024

/** The store of one node on the node's `Redis`. */
export const make = Effect.gen(function*() {
  const redis = yield* Redis
  const runtime = yield* Effect.runtime<never>()
  const hash = redis.key("stages")
  const channel = redis.key("stages:changes")
  // this store's identity in its announcements (one per node: a node makes one store)
  const origin = randomUUID()

  // a stored stage as read back: one that does not decode is none, and counted
  const readStage = (json: string): StoredStage | undefined => {
    const stage = parseStage(json)
    if (Option.isNone(stage)) redis.unreadable("stages")
    return Option.getOrUndefined(stage)
  }

  // every stored stage, as read back (one that does not decode is left out)
  const readAll = Effect.map(
    redis.run((client) => client.hgetall(hash)),
    (stored) => {
      const stages = new Map<string, StoredStage>()
      for (const [type, json] of Object.entries(stored)) {
        const stage = readStage(json)
        if (stage !== undefined) stages.set(type, stage)
      }
      return stages
    }
  )

  // Redis away (a degraded start, an outage): the node keeps the stages it has, and converges when
  // Redis is back (every stored stage is reported again then)
  const all = readAll.pipe(
    Effect.catchAll((error) =>
      Effect.as(Effect.logWarning("stage store: Redis away, no stored stages read", error.message), new Map<string, StoredStage>())
    )
  )

  const changes: Effect.Effect<Queue.Dequeue<StageChange>, never, Scope.Scope> = Effect.gen(function*() {
    // stage changes are rare (an operator, a rollback), but anyone who can publish on the channel can flood it:
    // past MAX_PENDING_CHANGES not taken yet an announcement is dropped, and a catch-up reports every stored
    // stage once the queue is at most half full (the node reads a type's stage again on each change, so that
    // makes up for what was dropped)
    const queue = yield* Effect.acquireRelease(Queue.dropping<StageChange>(MAX_PENDING_CHANGES), Queue.shutdown)
    const half = MAX_PENDING_CHANGES / 2
    const room = Effect.repeat(Queue.size(queue), { while: (size) => size > half, schedule: Schedule.spaced("50 millis") })

    // one catch-up at a time; one that could not read every stored stage, or offer them all, starts another
    let catchingUp = false
    const catchUp = (): void => {
      if (catchingUp) return
      catchingUp = true
      Runtime.runFork(runtime)(reportAll)
    }
    const reportAll: Effect.Effect<void> = Effect.gen(function*() {
      yield* room
      // (cleared before the stages are read: one dropped after that read starts another catch-up)
      catchingUp = false
      const stored = yield* Effect.either(readAll)
      if (Either.isLeft(stored)) {
        // Redis away or slow: asked again in a second (a restored subscription starts one too)
        yield* Effect.logDebug("stage store: stored stages not read, trying again", stored.left.message)
        yield* Effect.sleep("1 second")
        return catchUp()
      }
      // half a queue at a time, so that a hash of many types (a hand's, another version's) is offered whole
      const stages = Array.from(stored.right, ([type, value]) => ({ type, value }))
      for (let from = 0; from < stages.length; from += half) {
        yield* room
        if (!(yield* Queue.offerAll(queue, stages.slice(from, from + half)))) return catchUp()
      }
    })

    const subscribe = redis.subscribe(channel, {
      onMessage: (message) => {
        const announced = message.length > MAX_ANNOUNCEMENT_CHARS ? Option.none() : parseAnnouncement(message)
        if (Option.isNone(announced)) redis.unreadable("stages")
        else if (announced.value.origin !== origin && !Queue.unsafeOffer(queue, announced.value.change)) catchUp()
      },
      onRestored: catchUp
    })
    // subscribed now, or (Redis away at start) in the background once Redis answers, then all reported
    const first = yield* Effect.either(subscribe)
    if (first._tag === "Left") {
      yield* Effect.forkScoped(subscribe.pipe(
        Effect.retry(Schedule.spaced("1 second")),
        Effect.zipRight(Effect.sync(catchUp))
      ))
    }
    return queue
  })

  return StageStore.of({
    get: (type) =>
      Effect.map(
        redis.run((client) => client.hget(hash, type)),
        (json) => (json === null ? undefined : readStage(json))
      ).pipe(Effect.orElseSucceed(() => undefined)),
    all,
    set: (type, value) => Effect.orDie(Effect.asVoid(redis.eval(setScript, [], [hash, channel, type, JSON.stringify(value), origin]))),
    changes
  })
})

/** The Redis `StageStore` of this node. */
export const layer: Layer.Layer<StageStore, never, Redis> = Layer.effect(StageStore, make)
