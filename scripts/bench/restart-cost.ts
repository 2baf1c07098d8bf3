/**
 * What one epoch restart (`streams.restart`, RedisStreamScripts) costs Redis
 * when a user's history is full: the time of the one script, during which
 * Redis runs no other node's command. Fills a user's stream with `events`
 * events of about 400 bytes (history bounds as deployed by default), then
 * restarts its epoch and times the call. Uses the Redis at `REDIS_URL`
 * (default 127.0.0.1:6379) under a prefix of its own, removed afterwards.
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
const STREAM_TTL_MS = 60_000

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
  const held = yield* redis.run((client) => client.xlen(`${prefix}st:{${user}}:x`))
  const epoch = yield* redis.run((client) => client.hget(`${prefix}st:{${user}}:m`, "epoch"))
  const bounds = [options.minEvents, options.minAgeMs, options.maxEvents, options.maxBytes ?? -1, STREAM_TTL_MS]
  const t0 = performance.now()
  const reply = (yield* redis.eval(Scripts.restart, [], [prefix, user, Date.now(), ...bounds, epoch ?? "", "restarted"])) as [
    string,
    string
  ]
  const ms = performance.now() - t0
  console.log(`held ${held} events; the restart carried ${reply[1]} in ${ms.toFixed(1)} ms (one round trip)`)
  yield* redis.run((client) => client.eval("for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('UNLINK', k) end", 0, `${prefix}*`))
})

Effect.runPromise(Effect.scoped(program)).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
