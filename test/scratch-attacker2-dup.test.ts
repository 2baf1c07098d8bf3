import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Queue, Chunk } from "effect"
import { createConnection, type Socket } from "node:net"
import { Backplane, type StreamListener } from "../src/store/Backplane.js"
import type { HistoryEntry } from "../src/store/History.js"
import * as Redis from "../src/store/Redis.js"
import { RedisSettings } from "../src/store/RedisSettings.js"
import * as Scripts from "../src/store/RedisStreamScripts.js"
import * as RedisStreams from "../src/store/RedisStreams.js"
import { deletePrefix, startRedisServer, uniquePrefix } from "./support/RedisServer.js"

const history = { minEvents: 100, minAgeMs: 60_000, maxEvents: 1000 }
const pending = (n: number) => ({ head: `{"n":${n},"seq":`, tail: "}", at: n })

const monitor = (url: string) => Effect.gen(function*() {
  const { hostname: host, port } = new URL(url)
  const counts = { catchUp: 0, restart: 0, publish: 0 }
  const socket = yield* Effect.acquireRelease(
    Effect.async<Socket>((resume) => {
      const s = createConnection({ host, port: Number(port) }, () => { s.write("MONITOR\r\n"); resume(Effect.succeed(s)) })
    }), (s) => Effect.sync(() => s.destroy()))
  let rest = ""
  socket.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (rest + chunk).split("\r\n"); rest = lines.pop()!
    for (const line of lines) {
      if (line.includes(`"${Scripts.catchUp.sha}"`)) counts.catchUp++
      else if (line.includes(`"${Scripts.restart.sha}"`)) counts.restart++
      else if (line.includes(`"${Scripts.publish.sha}"`)) counts.publish++
    }
  })
  yield* Effect.sleep("50 millis")
  return counts
})

const node = (url: string, prefix: string) => Effect.map(Layer.build(
  RedisStreams.layer(history).pipe(Layer.provideMerge(Redis.layerWith(RedisSettings.make({ url, prefix, commandTimeoutMs: 300, reconnectMaxDelayMs: 100 }))), Layer.orDie)
), (c) => ({ backplane: Context.get(c, Backplane), redis: Context.get(c, Redis.Redis) }))

describe("scratch", () => {
  it.scopedLive("duplicates after a catch-up's release", () => Effect.gen(function*() {
    const server = yield* startRedisServer
    const prefix = uniquePrefix()
    yield* Effect.addFinalizer(() => Effect.promise(() => deletePrefix(server.url, prefix).catch(() => undefined)))
    const a = yield* node(server.url, prefix)
    const b = yield* node(server.url, prefix)
    const counts = yield* monitor(server.url)
    const events = yield* Queue.unbounded<HistoryEntry>()
    let resets = 0
    let lastGiven = 0
    const listener: StreamListener = { event: (e) => { lastGiven = e.seq; Queue.unsafeOffer(events, e) }, signal: () => {}, reset: (pos) => { resets++; console.log("reset", JSON.stringify(pos), "lastGiven", lastGiven) } }
    yield* b.backplane.subscribe("u", listener)
    const N = Number(process.env.N ?? 4000); const KILLS = Number(process.env.KILLS ?? 5)
    let n = 0
    const t0 = Date.now()
    const pub = Effect.suspend(() => a.backplane.publish("u", pending(++n)))
    const burst = Effect.forEach(Array.from({ length: N }), () => pub, { concurrency: 32, discard: true })
    const killer = Effect.gen(function*() {
      for (let i = 0; i < KILLS; i++) { yield* Effect.sleep("150 millis"); yield* a.redis.run((c) => c.client("KILL", "TYPE", "pubsub")) }
    })
    yield* Effect.all([burst, killer], { concurrency: 2 })
    yield* Effect.sleep("1 second")
    const got = Chunk.toArray(yield* Queue.takeAll(events))
    const ms = Date.now() - t0
    console.log(JSON.stringify({ N, ms, got: got.length, last: got.at(-1)?.seq, resets, ...counts }))
    let ok = true
    for (let i = 1; i < got.length; i++) if (got[i]!.seq !== got[i - 1]!.seq + 1) ok = false
    console.log("inorder", ok)
  }), 60_000)
})
