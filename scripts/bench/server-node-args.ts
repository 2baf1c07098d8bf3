import { mkdirSync } from "node:fs"
import { join } from "node:path"
import type { BenchOptions } from "./options.js"

/**
 * The node options every server of the run starts with: those of
 * `--node-options` (e.g. a V8 flag to try on the service and its baselines
 * alike), then the profiling ones when asked for: `--cpu-prof` (V8's
 * profiler, its profile written to `dir` as the server exits) and `--perf-map` (`--perf-basic-prof`: a `/tmp/perf-<pid>.map`
 * that names the JIT-compiled JavaScript frames for Linux `perf record -p <pid>`,
 * which also sees the kernel, the compiler threads and GC that V8's
 * profile leaves out or counts as idle; V8's own log, which that flag turns
 * on, goes to `dir`). None when nothing was asked for.
 */
export const serverNodeArgs = (
  options: Pick<BenchOptions, "cpuProf" | "perfMap" | "nodeOptions">,
  dir: string
): ReadonlyArray<string> => {
  const args: Array<string> = [...options.nodeOptions]
  if (options.cpuProf || options.perfMap) mkdirSync(dir, { recursive: true })
  if (options.cpuProf) args.push("--cpu-prof", `--cpu-prof-dir=${dir}`)
  // the V8 log that --perf-basic-prof turns on goes with the profiles, not into the working directory
  if (options.perfMap) args.push("--perf-basic-prof", "--no-logfile-per-isolate", `--logfile=${join(dir, "v8-%p.log")}`)
  return args
}
