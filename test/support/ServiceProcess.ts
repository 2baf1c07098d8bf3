import { type ChildProcess, spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { createServer } from "node:net"
import { registry } from "./SecretScan.js"

/** A free TCP port on 127.0.0.1. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/** The service started the way `npm start` starts it, as a child process. */
export interface ServiceProcess {
  readonly port: number
  readonly child: ChildProcess
  readonly output: () => string
  readonly exited: Promise<number | null>
  /** resident memory of the service process, in bytes */
  readonly rss: () => number
}

/** Starts the service as `npm start` does (`scripts/start.mjs`) in a child process with `env` (and node flags) and waits for `/health`. */
export const startService = (
  env: Record<string, string>,
  nodeOptions: ReadonlyArray<string> = []
): Promise<ServiceProcess> => startServiceWith(process.execPath, [...nodeOptions, "scripts/start.mjs"], env)

/** Starts the service with `command` (e.g. `npm start`) in a child process with `env` and waits for `/health`. */
export const startServiceWith = async (
  command: string,
  args: ReadonlyArray<string>,
  env: Record<string, string>
): Promise<ServiceProcess> => {
  const port = await freePort()
  const child = spawn(command, args, {
    // the per-user message rate limit is off unless a test sets it (tests send bursts no person would)
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "info", RATE_LIMIT_PER_SEC: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  const take = (chunk: Buffer) => {
    output += chunk
    registry.record(chunk.toString())
  }
  child.stdout!.on("data", take)
  child.stderr!.on("data", take)
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  const deadline = Date.now() + 30_000
  while (true) {
    if (child.exitCode !== null) throw new Error(`service exited early:\n${output}`)
    // a request taken while the node still builds its layers (listening already, Redis connecting) is
    // never answered: each attempt has its own deadline
    const healthy = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false)
    if (healthy) break
    if (Date.now() > deadline) throw new Error(`service did not start:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    port,
    child,
    output: () => output,
    exited,
    rss: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8")
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024
    }
  }
}
