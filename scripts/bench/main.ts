/**
 * `npm run bench`: runs every scenario against the raw `ws` baseline and the
 * service, interleaved, several repetitions, each on a fresh server process;
 * prints a table of medians and writes bench-results/latest.json.
 * See scripts/bench/README.md.
 */
import { randomBytes } from "node:crypto"
import { existsSync, mkdirSync, writeFileSync } from "node:fs"
import { availableParallelism, cpus } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { type ClusterSummary, formatClusterTable, runClusterBench } from "./cluster-bench.js"
import { compileEntry } from "./compile.js"
import { runLoadgen } from "./loadgen-process.js"
import { type BenchOptions, parseOptions, usage } from "./options.js"
import { choosePinning, type Pinning } from "./pinning.js"
import { clockTicksPerSecond, readOpenFileLimit } from "./proc-read.js"
import { redisServerVersion } from "./redis-process.js"
import { summarize, type TargetRuns } from "./report.js"
import { serverNodeArgs } from "./server-node-args.js"
import { startServer } from "./server-process.js"
import { formatStreamTable, runStreamBench, type StreamScenario, streamNotes, type StreamSummary } from "./stream-bench.js"
import { formatFigure, formatTable } from "./table.js"
import { BASELINE_ENTRY, chooseTargets, type TargetKey, type TargetSpec } from "./targets.js"
import type { LoadgenTask, RunResult, ScenarioName } from "./task.js"

const LOADGEN_TIMEOUT_MS = 10 * 60_000

interface Context {
  readonly options: BenchOptions
  readonly pinning: Pinning
  readonly clockTicks: number
  readonly secret: string
  readonly logDir: string
}

/** One scenario against one fresh server process. */
const runOnce = async (ctx: Context, scenario: ScenarioName, target: TargetSpec, rep: number): Promise<RunResult> => {
  const logPath = join(ctx.logDir, `${scenario}-${target.key}-${rep}.log`)
  const profileDir = join(dirname(ctx.options.out), "profiles", `${scenario}-${target.key}-${rep}`)
  const profiled = { ...target, nodeArgs: serverNodeArgs(ctx.options, profileDir) }
  const server = await startServer(profiled, ctx.secret, ctx.pinning.server, logPath)
  try {
    const task: LoadgenTask = {
      scenario,
      wsUrl: server.wsUrl,
      secret: ctx.secret,
      serverPid: server.pid,
      clockTicks: ctx.clockTicks,
      tag: `${rep}-${target.key}`,
      settings: ctx.options.settings
    }
    return await runLoadgen(task, ctx.pinning.loadgen, LOADGEN_TIMEOUT_MS)
  } finally {
    await server.stop()
  }
}

/** A one-line glimpse of a result while the bench runs. */
const glimpse = (result: RunResult): string =>
  Object.entries(result.metrics)
    .filter(([name]) => /per_s$|^p99_ms$|^cpu_us|^rss_per_conn|^errors$/.test(name))
    .map(([name, value]) => `${name}=${formatFigure(value)}`)
    .join(" ")

/**
 * Whether the cluster scenario runs: asked for, not --self (it has no
 * baseline-vs-baseline form), and redis-server installed; why not, otherwise.
 */
const clusterSkip = (options: BenchOptions): string | undefined => {
  if (!options.scenarios.includes("cluster")) return undefined
  if (options.self) return "cluster: skipped (--self compares the ws baseline with itself; the cluster scenario has no such form)"
  if (redisServerVersion() === undefined) {
    return "cluster: skipped: redis-server is not installed (apt-get install redis-server, or put it on PATH); the other scenarios ran"
  }
  return undefined
}

const main = async (): Promise<void> => {
  const parsed = parseOptions(process.argv.slice(2))
  if (parsed === undefined) return void process.stdout.write(usage)
  const skipCluster = clusterSkip(parsed)
  const withCluster = parsed.scenarios.includes("cluster") && skipCluster === undefined
  // the cluster and stream scenarios have their own three set-ups and tables (cluster-bench.ts, stream-bench.ts)
  const streamScenarios = parsed.self ? [] : parsed.scenarios.filter((s): s is StreamScenario => s === "stream" || s === "stream-ramp")
  if (parsed.self && parsed.scenarios.some((s) => s === "stream" || s === "stream-ramp")) {
    process.stderr.write("stream, stream-ramp: skipped (--self compares the ws baseline with itself; they have no such form)\n")
  }
  const options: BenchOptions = {
    ...parsed,
    scenarios: parsed.scenarios.filter((s) => s !== "cluster" && s !== "stream" && s !== "stream-ramp")
  }
  if (skipCluster !== undefined) process.stderr.write(`${skipCluster}\n`)
  // inside the repo whatever --out says: the compiled baselines import ws, socket.io and ioredis from its node_modules
  const buildDir = fileURLToPath(new URL("../../bench-results/build", import.meta.url))
  const targets = await Promise.all(chooseTargets(options).map(async (target) =>
    target.entry === BASELINE_ENTRY ? { ...target, entry: await compileEntry(BASELINE_ENTRY, buildDir) } : target
  ))
  for (const target of targets) {
    if (!existsSync(target.entry)) {
      throw new Error(`${target.label} entry ${target.entry} does not exist (run from the repo root; --self compares the baseline with itself)`)
    }
  }
  const ctx: Context = {
    options,
    pinning: choosePinning(options.pin),
    clockTicks: clockTicksPerSecond(),
    secret: randomBytes(24).toString("hex"),
    logDir: join(dirname(options.out), "logs")
  }
  mkdirSync(ctx.logDir, { recursive: true })
  const limit = readOpenFileLimit()
  process.stderr.write(
    `bench: ${parsed.scenarios.join(",")} × ${options.repetitions} rep(s); ${ctx.pinning.note}; ` +
      `CLK_TCK ${ctx.clockTicks}; open files ${limit?.soft ?? "?"}/${limit?.hard ?? "?"}; server logs in ${ctx.logDir}\n`
  )
  const started = Date.now()
  const runs = new Map<ScenarioName, Record<TargetKey, TargetRuns>>()
  for (const scenario of options.scenarios) {
    runs.set(scenario, { baseline: { reps: [], notes: [] }, service: { reps: [], notes: [] } })
  }
  for (let rep = 1; rep <= options.repetitions; rep++) {
    for (const scenario of options.scenarios) {
      // alternate who goes first, so slow drift of the machine does not favour one side
      const order = rep % 2 === 1 ? targets : [targets[1], targets[0]]
      for (const target of order) {
        process.stderr.write(`[${rep}/${options.repetitions}] ${scenario} · ${target.label}\n`)
        const bucket = runs.get(scenario)![target.key]
        try {
          const result = await runOnce(ctx, scenario, target, rep)
          bucket.reps.push(result.metrics)
          bucket.notes.push(...result.notes.map((n) => `rep ${rep}: ${n}`))
          process.stderr.write(`    ${glimpse(result)}\n`)
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err)
          bucket.reps.push(null)
          bucket.notes.push(`rep ${rep}: failed: ${message}`)
          process.stderr.write(`    FAILED: ${message}\n`)
        }
      }
    }
  }
  let cluster: ClusterSummary | undefined
  if (withCluster) {
    cluster = await runClusterBench({ ...ctx, options: { ...options, scenarios: ["cluster"] }, buildDir })
  }
  const streams: Array<StreamSummary> = []
  for (const scenario of streamScenarios) streams.push(await runStreamBench({ ...ctx, buildDir }, scenario))
  const summaries = options.scenarios.map((scenario) => summarize(scenario, runs.get(scenario)!))
  const labels = [targets[0].label, targets[1].label] as const
  if (summaries.length > 0) process.stdout.write(`\n${formatTable(summaries, labels)}\n\n`)
  if (cluster !== undefined) {
    process.stdout.write(`\n${formatClusterTable(cluster)}\n\n`)
    for (const key of ["single", "cluster", "socketio"] as const) {
      for (const note of cluster.runs[key].notes) process.stdout.write(`note cluster ${cluster.labels[key]}: ${note}\n`)
    }
  }
  for (const summary of streams) {
    process.stdout.write(`\n${formatStreamTable(summary)}\n\n`)
    for (const note of streamNotes(summary)) process.stdout.write(`${note}\n`)
  }
  if (skipCluster !== undefined) process.stdout.write(`${skipCluster}\n`)
  for (const summary of summaries) {
    for (const key of ["baseline", "service"] as const) {
      for (const note of summary[key].notes) process.stdout.write(`note ${summary.scenario} ${labels[key === "baseline" ? 0 : 1]}: ${note}\n`)
    }
  }
  const report = {
    meta: {
      date: new Date(started).toISOString(),
      duration_s: (Date.now() - started) / 1000,
      node: process.version,
      cpu: cpus()[0]?.model ?? "?",
      cores: availableParallelism(),
      pinning: ctx.pinning.note,
      clk_tck: ctx.clockTicks,
      open_files: limit ?? null,
      targets: { baseline: targets[0], service: targets[1] },
      options: parsed
    },
    scenarios: Object.fromEntries(summaries.map((s) => [s.scenario, s])),
    ...(cluster === undefined ? {} : { cluster }),
    ...(streams.length === 0 ? {} : { stream: Object.fromEntries(streams.map((s) => [s.scenario, s])) })
  }
  mkdirSync(dirname(options.out), { recursive: true })
  writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`)
  process.stdout.write(`results: ${options.out} (${Math.round((Date.now() - started) / 1000)} s)\n`)
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)} (--help lists the options)\n`)
  process.exit(1)
})
