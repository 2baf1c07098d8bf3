import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer, type Scope } from "effect"
import { Redis as IORedis } from "ioredis"
import * as Redis from "../../src/store/Redis.js"
import { RedisSettings, type RedisSettingsShape } from "../../src/store/RedisSettings.js"
import { freePort } from "./ServiceProcess.js"

/**
 * Redis for tests. The shared one (`redis://127.0.0.1:6379`, or
 * `TEST_REDIS_URL`) serves the conformance suites: every run and every layer
 * gets its own `REDIS_PREFIX`, so parallel runs share it. Fault tests start a
 * private `redis-server` on a free port, which they may kill and restart.
 */

/** The URL of the shared Redis the tests use. */
export const redisUrl = (): string => process.env["TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379"

// one per test process; each layer adds its own counter
const runPrefix = `switchyard-test:${process.pid}:${randomBytes(4).toString("hex")}:`
let layers = 0

/** A prefix no other test run or layer uses. */
export const uniquePrefix = (): string => `${runPrefix}${++layers}:`

/** Settings for the shared Redis under a fresh prefix (the rest as given, or the defaults). */
export const testSettings = (overrides: Partial<Omit<RedisSettingsShape, "url">> = {}, url = redisUrl()) =>
  RedisSettings.make({ url, prefix: uniquePrefix(), ...overrides })

/** Deletes every key under `prefix` (a test's clean-up: what it leaves would only expire later). */
export const deletePrefix = (url: string, prefix: string): Promise<void> => {
  const client = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  client.on("error", () => undefined)
  return (async () => {
    await client.connect()
    let cursor = "0"
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000)
      if (keys.length > 0) await client.del(...keys)
      cursor = next
    } while (cursor !== "0")
  })().finally(() => client.disconnect())
}

/**
 * The Redis connection on the shared Redis (or the one at `url`) under a
 * fresh prefix, its keys deleted when the layer is released.
 */
export const testRedisLayer = (
  overrides: Partial<Omit<RedisSettingsShape, "url">> = {},
  url = redisUrl()
): Layer.Layer<Redis.Redis | RedisSettings, Redis.RedisError> => {
  const settings = testSettings(overrides, url)
  const cleanUp = Layer.scopedDiscard(Effect.addFinalizer(() =>
    Effect.promise(() => deletePrefix(url, settings.prefix).catch(() => undefined))
  ))
  return Layer.merge(Redis.layerWith(settings), Layer.succeed(RedisSettings, settings)).pipe(
    Layer.provideMerge(cleanUp)
  )
}

/** A private `redis-server` a fault test can stop and start again (same port, no persistence). */
export interface RedisServer {
  readonly port: number
  readonly url: string
  /** kills the server (SIGKILL: no goodbye to its clients) */
  readonly kill: () => Promise<void>
  /** starts it again on the same port (empty: nothing was persisted) */
  readonly restart: () => Promise<void>
}

const spawnServer = async (port: number): Promise<ChildProcess> => {
  // a directory of its own: a server made a replica (a failover test) writes the primary's data there, not into the repo
  const dir = mkdtempSync(join(tmpdir(), "switchyard-redis-"))
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir]
  const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] })
  child.once("exit", () => rmSync(dir, { recursive: true, force: true }))
  let output = ""
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk))
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk))
  const failed = new Promise<never>((_, reject) => {
    child.once("error", (error) => reject(new Error(`redis-server did not start (is it installed?): ${error.message}`)))
    child.once("exit", (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)))
  })
  failed.catch(() => undefined)
  // answers PING: ready
  const probe = new IORedis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  // refused while the server starts: expected, answered by the next attempt
  probe.on("error", () => undefined)
  for (let attempt = 0; attempt < 100; attempt++) {
    const up = await Promise.race([
      probe.connect().then(() => probe.ping()).then(() => true, () => false),
      failed
    ])
    probe.disconnect()
    if (up) return child
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  child.kill("SIGKILL")
  throw new Error(`redis-server on port ${port} did not answer:\n${output}`)
}

const stop = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => {
      child.once("exit", () => resolve())
      child.kill("SIGKILL")
    })

/** Starts a private `redis-server` on a free port for the scope's life. */
export const startRedisServer: Effect.Effect<RedisServer, never, Scope.Scope> = Effect.acquireRelease(
  Effect.promise(async () => {
    const port = await freePort()
    let child = await spawnServer(port)
    const server: RedisServer = {
      port,
      url: `redis://127.0.0.1:${port}`,
      kill: () => stop(child),
      restart: async () => {
        await stop(child)
        child = await spawnServer(port)
      }
    }
    return { server, current: () => child }
  }),
  ({ current }) => Effect.promise(() => stop(current()))
).pipe(Effect.map(({ server }) => server))
