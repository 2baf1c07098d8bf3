import { type ChildProcess, spawn, type StdioOptions } from "node:child_process"

/**
 * Starts a node process (`entry` JavaScript, or a .ts file run through tsx) through `sh`, which first
 * raises the soft open-file limit to the hard one (10,000 sockets need more
 * than the usual 1024) and then `exec`s, so the child's pid is the node
 * process itself (what /proc is read for). `core` pins it with taskset.
 */
export const spawnNode = (
  entry: string,
  options: {
    readonly core: number | undefined
    readonly env: Readonly<Record<string, string>>
    readonly stdio: StdioOptions
    readonly nodeArgs?: ReadonlyArray<string>
  }
): ChildProcess => {
  const pin = options.core === undefined ? [] : ["taskset", "-c", String(options.core)]
  const loader = entry.endsWith(".ts") ? ["--import", "tsx"] : []
  const argv = [...pin, process.execPath, ...(options.nodeArgs ?? []), ...loader, entry]
  const script = "ulimit -n \"$(ulimit -H -n)\" 2>/dev/null; exec \"$@\""
  return spawn("sh", ["-c", script, "sh", ...argv], {
    cwd: process.cwd(),
    env: { ...process.env, ...options.env },
    stdio: options.stdio
  })
}

/** Resolves with the exit code (or signal) once the child has exited. */
export const exited = (child: ChildProcess): Promise<number | string> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode ?? child.signalCode ?? "?")
    : new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? "?")))
