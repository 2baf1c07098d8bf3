import { execFileSync } from "node:child_process"
import { availableParallelism } from "node:os"

/**
 * Which core the server and the load generator run on. With `taskset` and at
 * least 2 cores: the server on core 0, the load generator on core 1 (on a
 * 2-core machine the orchestrator and the OS share them; the orchestrator
 * only waits while a scenario runs).
 */
export interface Pinning {
  readonly server: number | undefined
  readonly loadgen: number | undefined
  readonly note: string
}

const tasksetWorks = (): boolean => {
  try {
    execFileSync("taskset", ["-c", "0", "true"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

export const choosePinning = (wanted: boolean): Pinning => {
  const cores = availableParallelism()
  if (!wanted) return { server: undefined, loadgen: undefined, note: "not pinned (--no-pin)" }
  if (cores < 2) return { server: undefined, loadgen: undefined, note: `not pinned (${cores} core)` }
  if (!tasksetWorks()) return { server: undefined, loadgen: undefined, note: "not pinned (no usable taskset)" }
  return { server: 0, loadgen: 1, note: `taskset: server on core 0, load generator on core 1 (of ${cores})` }
}
