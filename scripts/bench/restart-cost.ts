/**
 * What one epoch restart (`streams.restart`, RedisStreamScripts) costs Redis
 * when a user's history is full: the time of the one script, during which
 * Redis runs no other node's command. Publishes `events` events of about 400
 * bytes to one user's stream (history bounds as deployed by default: the
 * stream holds up to 10,000 of them, or 4 MiB), then restarts its epoch
 * (which carries the newest `HISTORY_MIN_EVENTS`) and times that one call,
 * the script already loaded. Uses the Redis at `REDIS_URL` (default
 * 127.0.0.1:6379) under a prefix of its own, whose three keys it removes.
 *
 *   npx tsx scripts/bench/restart-cost.ts [events=10000]
 */
import { randomBytes } from "node:crypto"
import { Context, Effect, Layer } from "effect"
import { Backplane } from "../../src/store/Backplane.js"
import * as Redis from "../../src/store/Redis.js"
import { RedisSettings } from "../../src/store/RedisSettings.js"
import * as Scripts from "../../src/store/RedisStreamScripts.js"
import * as RedisStreams from "../../src/store/RedisStreams.js"
import { HistorySettings } from "../../src/state/HistorySettings.js"

const events = Number(process.argv[2] ?? 10_000)
const options = HistorySettings.toOptions(HistorySettings.defaults)
const prefix = `restart-cost-${randomBytes(4).toString("hex")}:`

const program = Effect.gen(function*() {
  const context = yield* Layer.build(
    RedisStreams.layer(options).pipe(
      Layer.provideMerge(Redis.layerWith(RedisSettings.make({ url: process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379", prefix }))),
      Layer.orDie
    )
  )
  const redis = Context.get(context, Redis.Redis)
  const backplane = Context.get(context, Backplane)
  const user = Redis.keyPart("user")
  const key = `${prefix}st:{${user}}`
  yield* Effect.addFinalizer(() => Effect.ignore(redis.run((client) => client.unlink(`${key}:m`, `${key}:x`, `${key}:p`))))
  const start = Date.now()
  const event = (n: number) => ({
    head: `{"type":"agent_message_delta","seq":`,
    tail: `,"payload":{"text":"${"x".repeat(360)}${n}"}}`,
    at: start + n
  })
  for (let n = 0; n < events; n += 500) {
    yield* Effect.all(Array.from({ length: Math.min(500, events - n) }, (_, k) => backplane.publish("user", event(n + k))), {
      concurrency: 50
    })
  }
  const held = yield* redis.run((client) => client.xlen(`${key}:x`))
  const epoch = yield* redis.run((client) => client.hget(`${key}:m`, "epoch"))
  const bounds = [options.minEvents, options.minAgeMs, options.maxEvents, options.maxBytes ?? -1, RedisStreams.DEFAULT_STREAM_TTL_MS]
  // loaded first: the timed call is the script's run, not its first compilation
  yield* redis.run((client) => client.script("LOAD", Scripts.restart.lua))
  const t0 = performance.now()
  const reply = (yield* redis.eval(Scripts.restart, [], [prefix, user, Date.now(), ...bounds, epoch ?? "", "restarted"])) as [
    string,
    string
  ]
  const ms = performance.now() - t0
  console.log(`held ${held} events; the restart carried ${reply[1]} in ${ms.toFixed(1)} ms (one round trip)`)
})

Effect.runPromise(Effect.scoped(program)).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
