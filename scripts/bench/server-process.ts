import type { ChildProcess } from "node:child_process"
import { closeSync, openSync, readFileSync } from "node:fs"
import { createServer } from "node:net"
import { setTimeout as sleep } from "node:timers/promises"
import { exited, spawnNode } from "./spawn.js"
import type { TargetSpec } from "./targets.js"

const HOST = "127.0.0.1"
const READY_TIMEOUT_MS = 60_000
const STOP_GRACE_MS = 3000
/** a server under --cpu-prof writes its profile as it exits */
const PROFILED_STOP_GRACE_MS = 30_000

/** A server process under test, answering /health. */
export interface RunningServer {
  readonly pid: number
  readonly port: number
  readonly wsUrl: string
  stop(): Promise<void>
}

/** A free TCP port on the loopback interface. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, HOST, () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const tail = (path: string, chars = 1500): string => {
  try {
    return readFileSync(path, "utf8").slice(-chars)
  } catch {
    return ""
  }
}

const healthy = async (port: number): Promise<boolean> => {
  try {
    const res = await fetch(`http://${HOST}:${port}/health`, { signal: AbortSignal.timeout(1000) })
    return res.status === 200
  } catch {
    return false
  }
}

const stopChild = async (child: ChildProcess, graceMs = STOP_GRACE_MS): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill("SIGTERM")
  const done = await Promise.race([exited(child).then(() => true), sleep(graceMs).then(() => false)])
  if (!done) {
    child.kill("SIGKILL")
    await exited(child)
  }
}

/** Starts `target` on a free port (output to `logPath`) and waits until GET /health answers 200. */
export const startServer = async (
  target: TargetSpec,
  secret: string,
  core: number | undefined,
  logPath: string
): Promise<RunningServer> => {
  const port = await freePort()
  const log = openSync(logPath, "w")
  const child = spawnNode(target.entry, {
    core,
    env: { ...target.env, PORT: String(port), HOST, JWT_SECRET: secret },
    stdio: ["ignore", log, log],
    nodeArgs: target.nodeArgs ?? []
  })
  const grace = (target.nodeArgs ?? []).some((arg) => arg.startsWith("--cpu-prof")) ? PROFILED_STOP_GRACE_MS : STOP_GRACE_MS
  closeSync(log)
  const pid = child.pid
  const deadline = performance.now() + READY_TIMEOUT_MS
  while (pid !== undefined && child.exitCode === null && performance.now() < deadline) {
    if (await healthy(port)) {
      return { pid, port, wsUrl: `ws://${HOST}:${port}/ws`, stop: () => stopChild(child, grace) }
    }
    await sleep(100)
  }
  await stopChild(child)
  throw new Error(`${target.label} did not become healthy (${logPath}):\n${tail(logPath)}`)
}
