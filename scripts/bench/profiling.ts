import { mkdirSync } from "node:fs"
import { join } from "node:path"
import type { BenchOptions } from "./options.js"

/**
 * The node options a server of the bench starts with when asked to be
 * profiled: `--cpu-prof` (V8's profiler, its profile written to `dir` as the
 * server exits) and `--perf-map` (`--perf-basic-prof`: a `/tmp/perf-<pid>.map`
 * that names the JIT-compiled JavaScript frames for Linux `perf record -p <pid>`,
 * which also sees the kernel, the compiler threads and GC that V8's
 * profile leaves out or counts as idle; V8's own log, which that flag turns
 * on, goes to `dir`). None when neither was asked for.
 */
export const profilingArgs = (options: Pick<BenchOptions, "cpuProf" | "perfMap">, dir: string): ReadonlyArray<string> => {
  const args: Array<string> = []
  if (options.cpuProf || options.perfMap) mkdirSync(dir, { recursive: true })
  if (options.cpuProf) args.push("--cpu-prof", `--cpu-prof-dir=${dir}`)
  // the V8 log that --perf-basic-prof turns on goes with the profiles, not into the working directory
  if (options.perfMap) args.push("--perf-basic-prof", "--no-logfile-per-isolate", `--logfile=${join(dir, "v8-%p.log")}`)
  return args
}
