import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { closeSync, openSync } from "node:fs"
import { setTimeout as sleep } from "node:timers/promises"
import { Redis } from "ioredis"
import { freePort } from "./server-process.js"
import { exited } from "./spawn.js"

const READY_TIMEOUT_MS = 10_000

/** A private redis-server of one cluster run. */
export interface RunningRedis {
  readonly pid: number
  readonly url: string
  stop(): Promise<void>
}

/** The installed redis-server's version line, or undefined when there is none. */
export const redisServerVersion = (): string | undefined => {
  try {
    return execFileSync("redis-server", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
  } catch {
    return undefined
  }
}

const answers = async (url: string): Promise<boolean> => {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on("error", () => {})
  try {
    await client.connect()
    return (await client.ping()) === "PONG"
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}

const stop = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill("SIGKILL")
  await exited(child)
}

/**
 * Starts redis-server on a free loopback port, without persistence (a run's
 * keys die with it), pinned to `core` (taskset execs: the pid is Redis's,
 * which /proc is read for); resolves once it answers PING.
 */
export const startRedis = async (core: number | undefined, logPath: string): Promise<RunningRedis> => {
  const port = await freePort()
  const pin = core === undefined ? [] : ["taskset", "-c", String(core)]
  const argv = [...pin, "redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
  const log = openSync(logPath, "w")
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", log, log] })
  closeSync(log)
  const url = `redis://127.0.0.1:${port}`
  const deadline = performance.now() + READY_TIMEOUT_MS
  while (child.pid !== undefined && child.exitCode === null && performance.now() < deadline) {
    if (await answers(url)) return { pid: child.pid, url, stop: () => stop(child) }
    await sleep(50)
  }
  await stop(child)
  throw new Error(`redis-server did not answer on ${url} (${logPath})`)
}
