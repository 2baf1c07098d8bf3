/**
 * What Redis pub/sub costs the backplane (issue 14: a channel per user), on a
 * private redis-server of this machine: memory and time per subscription,
 * Redis CPU and round trip per published event (the publish script: seq +
 * stream append + bounds + PUBLISH), with one subscriber per channel.
 *
 *   npx tsx scripts/bench/redis-pubsub-cost.ts [users=10000] [events=20000]
 */
import { spawn } from "node:child_process"
import { createServer } from "node:net"
import { Effect, Layer, Context } from "effect"
import { Redis as IORedis } from "ioredis"
import { Backplane } from "../../src/store/Backplane.js"
import * as Redis from "../../src/store/Redis.js"
import { RedisSettings } from "../../src/store/RedisSettings.js"
import * as RedisStreams from "../../src/store/RedisStreams.js"

const users = Number(process.argv[2] ?? 10_000)
const events = Number(process.argv[3] ?? 20_000)

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })

const info = async (client: IORedis) => {
  const text = await client.info()
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(text)![1])
  return { memory: field("used_memory"), cpu: field("used_cpu_sys") + field("used_cpu_user") }
}

const main = async () => {
  const port = await freePort()
  const server = spawn("redis-server", ["--port", String(port), "--save", "", "--appendonly", "no"], { stdio: "ignore" })
  await new Promise((resolve) => setTimeout(resolve, 500))
  const url = `redis://127.0.0.1:${port}`
  const admin = new IORedis(url)
  const subscriber = new IORedis(url)
  try {
    await admin.ping()
    await subscriber.ping()
    // subscriptions: memory and time
    const before = await info(admin)
    let started = performance.now()
    for (let i = 0; i < users; i += 1000) {
      await subscriber.subscribe(...Array.from({ length: Math.min(1000, users - i) }, (_, j) => `bench:st:{user-${i + j}}`))
    }
    const subscribeMs = performance.now() - started
    const subscribed = await info(admin)
    console.log(`subscriptions: ${users} channels, ${((subscribed.memory - before.memory) / users).toFixed(0)} bytes each in Redis, ` +
      `${((subscribeMs * 1000) / users).toFixed(1)} µs each (batched SUBSCRIBE)`)

    // for comparison: a bare PUBLISH to a channel with one subscriber (what pub/sub itself costs)
    const plainBefore = await info(admin)
    started = performance.now()
    for (let i = 0; i < events; i += 64) {
      await Promise.all(Array.from({ length: 64 }, (_, j) => admin.publish(`bench:st:{user-${(i + j) % users}}`, "x".repeat(100))))
    }
    const plainMs = performance.now() - started
    const plainAfter = await info(admin)
    console.log(`bare PUBLISH (100 bytes, one subscriber): ${((plainMs * 1000) / events).toFixed(1)} µs each (64 in flight), ` +
      `Redis CPU ${(((plainAfter.cpu - plainBefore.cpu) * 1e6) / events).toFixed(1)} µs per message`)
    await subscriber.quit()

    // published events through RedisStreams, one listener per user on a second connection
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const settings = RedisSettings.make({ url, prefix: "bench:" })
      const build = Layer.build(RedisStreams.layer({ minEvents: 100, minAgeMs: 0, maxEvents: 100 }).pipe(
        Layer.provide(Redis.layerWith(settings)),
        Layer.orDie
      ))
      const publisher = Context.get(yield* build, Backplane)
      const listener = Context.get(yield* build, Backplane)
      let received = 0
      const listenedUsers = Math.min(users, 1000)
      for (let i = 0; i < listenedUsers; i++) {
        yield* listener.subscribe(`user-${i}`, { event: () => void received++, signal: () => {} })
      }
      const frame = { head: `{"type":"agent_delta","run_id":"r-1","delta":"${"x".repeat(60)}","seq":`, tail: "}", at: Date.now() }
      const cpuBefore = yield* Effect.promise(() => info(admin))
      started = performance.now()
      // 64 publishes in flight, as a node's users would have
      const batches = Math.ceil(events / 64)
      for (let b = 0; b < batches; b++) {
        yield* Effect.all(
          Array.from({ length: 64 }, (_, j) => publisher.publish(`user-${(b * 64 + j) % listenedUsers}`, frame)),
          { concurrency: "unbounded", discard: true }
        )
      }
      const publishMs = performance.now() - started
      while (received < batches * 64) yield* Effect.sleep("10 millis")
      const deliveredMs = performance.now() - started
      const cpuAfter = yield* Effect.promise(() => info(admin))
      const total = batches * 64
      console.log(`events: ${total} published to ${listenedUsers} users (one listener each, another node): ` +
        `${(total / (deliveredMs / 1000)).toFixed(0)} events/s delivered, publish ${((publishMs * 1000) / total).toFixed(1)} µs each (64 in flight), ` +
        `Redis CPU ${(((cpuAfter.cpu - cpuBefore.cpu) * 1e6) / total).toFixed(1)} µs per event`)
    })))
  } finally {
    admin.disconnect()
    server.kill("SIGKILL")
  }
}

void main()
