/**
 * What the stream scripts (RedisStreamScripts) cost Redis at a full history,
 * each one call during which Redis runs no other node's command:
 *
 * - `evict`: the first read of a stream whose events all aged past
 *   `HISTORY_MIN_AGE_MS` at once (a user who filled the history, then went
 *   quiet): the history is cut down to `HISTORY_MIN_EVENTS` in that call;
 * - `restart`: an epoch restart (a node gave the user events only locally
 *   during a Redis outage), which carries the newest `HISTORY_MIN_EVENTS`;
 * - `bytes`: the publish of one event nearly as large as `HISTORY_MAX_BYTES`
 *   onto a stream of small ones, all of which it pushes out.
 *
 * Each publishes `events` events (of about 400 bytes; 100 for `bytes`) to a
 * user's stream (history bounds as deployed by default: the stream holds up
 * to 10,000 of them, or 4 MiB), then times the one call, its script already
 * loaded.
 * Uses the Redis at `REDIS_URL` (default 127.0.0.1:6379) under a prefix of
 * its own, whose keys it removes.
 *
 *   npx tsx scripts/bench/stream-script-cost.ts [events=10000]
 */
import { randomBytes } from "node:crypto"
import { Context, Duration, Effect, Layer } from "effect"
import { HistorySettings } from "../../src/state/HistorySettings.js"
import { Backplane } from "../../src/store/Backplane.js"
import * as Redis from "../../src/store/Redis.js"
import { RedisSettings } from "../../src/store/RedisSettings.js"
import * as Scripts from "../../src/store/RedisStreamScripts.js"
import * as RedisStreams from "../../src/store/RedisStreams.js"

const events = Number(process.argv[2] ?? 10_000)
const options = HistorySettings.toOptions(HistorySettings.defaults)
const prefix = `stream-script-cost-${randomBytes(4).toString("hex")}:`
const bounds = [options.minEvents, options.minAgeMs, options.maxEvents, options.maxBytes ?? -1, RedisStreams.DEFAULT_STREAM_TTL_MS]

const program = Effect.gen(function*() {
  const context = yield* Layer.build(
    RedisStreams.layer(options).pipe(
      Layer.provideMerge(Redis.layerWith(RedisSettings.make({ url: process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379", prefix }))),
      Layer.orDie
    )
  )
  const redis = Context.get(context, Redis.Redis)
  const backplane = Context.get(context, Backplane)
  // loaded first: a timed call is the script's run, not its first compilation
  for (const script of [Scripts.read, Scripts.restart, Scripts.publish]) yield* redis.run((client) => client.script("LOAD", script.lua))

  /** A user's stream filled with `events` young events; returns its key and when they were made. */
  const filled = (name: string, pad = 360) =>
    Effect.gen(function*() {
      const key = `${prefix}st:{${Redis.keyPart(name)}}`
      yield* Effect.addFinalizer(() => Effect.ignore(redis.run((client) => client.unlink(`${key}:m`, `${key}:x`, `${key}:p`))))
      const start = Date.now()
      const event = (n: number) => ({
        head: `{"type":"agent_message_delta","seq":`,
        tail: `,"payload":{"text":"${"x".repeat(pad)}${n}"}}`,
        at: start + n
      })
      for (let n = 0; n < events; n += 500) {
        yield* Effect.all(Array.from({ length: Math.min(500, events - n) }, (_, k) => backplane.publish(name, event(n + k))), {
          concurrency: 50
        })
      }
      const held = yield* redis.run((client) => client.xlen(`${key}:x`))
      return { key, start, held, event }
    })
  const timed = <A>(call: Effect.Effect<A, Redis.RedisError>) =>
    Effect.map(Effect.timed(call), ([duration, reply]) => ({ ms: Duration.toMillis(duration), reply }))

  {
    const { held, start } = yield* filled("evict")
    // read as if the whole history had aged past the minimum age at once
    const later = start + options.minAgeMs + events + 1
    const { ms } = yield* timed(redis.eval(Scripts.read, [], [prefix, Redis.keyPart("evict"), later, ...bounds, 0, 1, 1]))
    const left = yield* redis.run((client) => client.xlen(`${prefix}st:{${Redis.keyPart("evict")}}:x`))
    console.log(`evict:   held ${held} events, aged; the first read cut them to ${left} in ${ms.toFixed(1)} ms (one round trip)`)
  }
  {
    const { held, key } = yield* filled("restart")
    const epoch = yield* redis.run((client) => client.hget(`${key}:m`, "epoch"))
    const { ms, reply } = yield* timed(
      redis.eval(Scripts.restart, [], [prefix, Redis.keyPart("restart"), Date.now(), ...bounds, epoch ?? "", "restarted"])
    )
    console.log(`restart: held ${held} events; the restart carried ${(reply as [string, string])[1]} in ${ms.toFixed(1)} ms (one round trip)`)
  }
  {
    const { held, key } = yield* filled("bytes", 60)
    const big = { head: `{"type":"agent_completed","seq":`, tail: `,"payload":{"text":"${"y".repeat((options.maxBytes ?? 0) - 1000)}"}}`, at: Date.now() }
    const { ms } = yield* timed(Effect.asVoid(backplane.publish("bytes", big)))
    const left = yield* redis.run((client) => client.xlen(`${key}:x`))
    // the same event again, with only the last one to push out: what the frame's own size costs
    const alone = yield* timed(Effect.asVoid(backplane.publish("bytes", big)))
    console.log(
      `bytes:   held ${held} small events; one of ${big.tail.length} bytes left ${left} in ${ms.toFixed(1)} ms ` +
        `(one round trip; the same event pushing out one: ${alone.ms.toFixed(1)} ms)`
    )
  }
})

Effect.runPromise(Effect.scoped(program)).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
