import { spawnNode, exited } from "./spawn.js"
import { type LoadgenTask, RESULT_PREFIX, type RunResult } from "./task.js"

export const LOADGEN_ENTRY = "scripts/bench/loadgen.ts"

/** Runs one load-generator process for `task` (pinned to `core`) and returns its result. */
export const runLoadgen = async (task: LoadgenTask, core: number | undefined, timeoutMs: number): Promise<RunResult> => {
  const child = spawnNode(LOADGEN_ENTRY, {
    core,
    env: { BENCH_TASK: JSON.stringify(task) },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk
    process.stderr.write(chunk)
  })
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
  const code = await exited(child)
  clearTimeout(timer)
  const line = stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX))
  if (code !== 0 || line === undefined) {
    throw new Error(`load generator exited with ${code}${stderr === "" ? "" : `: ${stderr.trim().slice(-500)}`}`)
  }
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as RunResult
}
