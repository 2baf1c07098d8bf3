import { mkdirSync } from "node:fs"
import type { BenchOptions } from "./options.js"

/**
 * The node options a server of the bench starts with when asked to be
 * profiled: `--cpu-prof` (V8's profiler, its profile written to `dir` as the
 * server exits) and `--perf-map` (`--perf-basic-prof`: a `/tmp/perf-<pid>.map`
 * that names the JIT-compiled JavaScript frames for Linux `perf record -p <pid>`,
 * which also sees the kernel, the compiler threads and GC that V8's
 * profile leaves out or counts as idle). None when neither was asked for.
 */
export const profilingArgs = (options: Pick<BenchOptions, "cpuProf" | "perfMap">, dir: string): ReadonlyArray<string> => {
  const args: Array<string> = []
  if (options.cpuProf) {
    mkdirSync(dir, { recursive: true })
    args.push("--cpu-prof", `--cpu-prof-dir=${dir}`)
  }
  if (options.perfMap) args.push("--perf-basic-prof")
  return args
}
