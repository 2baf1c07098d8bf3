/**
 * The `stream` and `stream-ramp` scenarios' orchestration: concurrent model
 * runs against a fake OpenAI-compatible server (model-server.ts, its own
 * process), relayed to the clients by three servers in turn — the raw `ws`
 * baseline, the service (its real model agent over Chat Completions), and
 * Socket.IO — fresh processes every time, the order rotating every
 * repetition. See scripts/bench/README.md.
 */
import { dirname, join } from "node:path"
import { mkdirSync } from "node:fs"
import { BASELINE_ENTRY, chooseTargets, type TargetSpec } from "./targets.js"
import { SOCKETIO_ENTRY, SOCKETIO_EXTERNAL } from "./cluster-bench.js"
import { compileEntry } from "./compile.js"
import { runLoadgen } from "./loadgen-process.js"
import type { BenchOptions, StreamServer } from "./options.js"
import type { Pinning } from "./pinning.js"
import { medianOfReps, metricNames, type TargetRuns } from "./report.js"
import { startServer, type RunningServer } from "./server-process.js"
import { ratio } from "./stats.js"
import { formatFigure, formatRatio } from "./table.js"
import type { LoadgenTask, Metrics, RunResult, StreamTopology } from "./task.js"

export const MODEL_ENTRY = "scripts/bench/model-server.ts"

export type StreamScenario = "stream" | "stream-ramp"
export type StreamKey = StreamServer

const KEYS: ReadonlyArray<StreamKey> = ["raw", "service", "socketio"]

/** One of the three servers the stream scenarios compare. */
interface StreamSetup {
  readonly key: StreamKey
  readonly label: string
  readonly server: TargetSpec
  /** the env variables that point it at the fake model server's base URL */
  readonly modelEnv: (baseUrl: string) => Readonly<Record<string, string>>
  readonly client: StreamTopology["client"]
}

export interface StreamContext {
  readonly options: BenchOptions
  readonly pinning: Pinning
  readonly clockTicks: number
  readonly secret: string
  readonly logDir: string
  readonly buildDir: string
}

export interface StreamSummary {
  readonly scenario: StreamScenario
  readonly labels: Readonly<Record<StreamKey, string>>
  readonly runs: Readonly<Record<StreamKey, TargetRuns & { readonly median: Metrics }>>
  /** service / raw and Socket.IO / raw, per metric */
  readonly ratio: { readonly serviceVsRaw: Metrics; readonly socketIoVsRaw: Metrics }
}

const setups = async (ctx: StreamContext): Promise<ReadonlyArray<StreamSetup>> => {
  const [baseline, service] = chooseTargets({ ...ctx.options, self: false })
  const baselineRelay = (baseUrl: string) => ({ BASELINE_MODEL_URL: baseUrl })
  return [
    {
      key: "raw",
      label: "raw ws",
      server: { ...baseline, entry: await compileEntry(BASELINE_ENTRY, ctx.buildDir) },
      modelEnv: baselineRelay,
      client: "switchyard"
    },
    {
      key: "service",
      label: "switchyard",
      server: service,
      // the real model agent over Chat Completions (src/agent/AgentSettings.ts); no key: nothing to send the fake
      modelEnv: (baseUrl) => ({
        AGENT: "openai",
        OPENAI_API: "chat",
        OPENAI_BASE_URL: baseUrl,
        OPENAI_MODEL: "bench-model",
        OPENAI_API_KEY: "",
        DRAIN_TIMEOUT_MS: "1000"
      }),
      client: "switchyard"
    },
    {
      key: "socketio",
      label: "socket.io",
      server: {
        key: "baseline",
        label: "socket.io",
        entry: await compileEntry(SOCKETIO_ENTRY, ctx.buildDir, SOCKETIO_EXTERNAL),
        env: { NODE_ENV: "production" }
      },
      modelEnv: baselineRelay,
      client: "socketio"
    }
  ]
}

/** One repetition of one set-up: the fake model server, the server, the load generator; everything stopped after. */
const runSetup = async (
  ctx: StreamContext,
  scenario: StreamScenario,
  setup: StreamSetup,
  modelEntry: string,
  rep: number
): Promise<RunResult> => {
  const log = (what: string): string => join(ctx.logDir, `${scenario}-${setup.key}-${what}-${rep}.log`)
  const stream = ctx.options.settings.stream
  let model: RunningServer | undefined
  let server: RunningServer | undefined
  try {
    // the fake model server shares the load generator's core: the server's core holds the server only
    model = await startServer({
      key: "baseline",
      label: "fake model server",
      entry: modelEntry,
      env: { MODEL_DELTAS_PER_RUN: String(stream.deltasPerRun), MODEL_DELTA_RATE: String(stream.deltaRate) }
    }, ctx.secret, ctx.pinning.loadgen, log("model"))
    const baseUrl = `http://127.0.0.1:${model.port}/v1`
    const profileDir = join(dirname(ctx.options.out), "profiles", `${scenario}-${setup.key}-${rep}`)
    if (ctx.options.cpuProf) mkdirSync(profileDir, { recursive: true })
    server = await startServer({
      ...setup.server,
      env: { ...setup.server.env, ...setup.modelEnv(baseUrl) },
      ...(ctx.options.cpuProf ? { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] } : {})
    }, ctx.secret, ctx.pinning.server, log("server"))
    const task: LoadgenTask = {
      scenario,
      wsUrl: server.wsUrl,
      secret: ctx.secret,
      serverPid: server.pid,
      clockTicks: ctx.clockTicks,
      tag: `${rep}-${setup.key}`,
      settings: ctx.options.settings,
      stream: { client: setup.client, modelPid: model.pid }
    }
    return await runLoadgen(task, ctx.pinning.loadgen, 15 * 60_000)
  } finally {
    await server?.stop()
    await model?.stop()
  }
}

const GLIMPSE: Readonly<Record<StreamScenario, ReadonlyArray<string>>> = {
  stream: ["deltas_per_s", "p50_ms", "p99_ms", "cpu_us_per_delta", "server_cpu_pct", "loadgen_cpu_pct", "model_cpu_pct", "rss_mib", "deltas_lost", "errors"],
  "stream-ramp": ["runs_within_limit", "errors"]
}

/** Runs one stream scenario on the three servers (`stream-ramp`: one repetition), the order rotating. */
export const runStreamBench = async (ctx: StreamContext, scenario: StreamScenario): Promise<StreamSummary> => {
  const all = (await setups(ctx)).filter((setup) => ctx.options.streamServers.includes(setup.key))
  const modelEntry = await compileEntry(MODEL_ENTRY, ctx.buildDir)
  const runs: Record<StreamKey, TargetRuns> = {
    raw: { reps: [], notes: [] },
    service: { reps: [], notes: [] },
    socketio: { reps: [], notes: [] }
  }
  const reps = scenario === "stream-ramp" ? 1 : ctx.options.repetitions
  for (let rep = 1; rep <= reps; rep++) {
    const shift = (rep - 1) % all.length
    for (const setup of [...all.slice(shift), ...all.slice(0, shift)]) {
      process.stderr.write(`[${rep}/${reps}] ${scenario} · ${setup.label}\n`)
      try {
        const result = await runSetup(ctx, scenario, setup, modelEntry, rep)
        runs[setup.key].reps.push(result.metrics)
        runs[setup.key].notes.push(...result.notes.map((n) => `rep ${rep}: ${n}`))
        process.stderr.write(`    ${GLIMPSE[scenario].map((name) => `${name}=${formatFigure(result.metrics[name])}`).join(" ")}\n`)
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err)
        runs[setup.key].reps.push(null)
        runs[setup.key].notes.push(`rep ${rep}: failed: ${message}`)
        process.stderr.write(`    FAILED: ${message}\n`)
      }
    }
  }
  const median = (key: StreamKey) => ({ ...runs[key], median: medianOfReps(runs[key].reps) })
  const summary = { raw: median("raw"), service: median("service"), socketio: median("socketio") }
  const ratios = (a: Metrics, b: Metrics): Metrics =>
    Object.fromEntries(metricNames([a, b]).map((name) => [name, ratio(a[name], b[name])]))
  return {
    scenario,
    labels: { raw: "raw ws", service: "switchyard", socketio: "socket.io" },
    runs: summary,
    ratio: {
      serviceVsRaw: ratios(summary.service.median, summary.raw.median),
      socketIoVsRaw: ratios(summary.socketio.median, summary.raw.median)
    }
  }
}

/** `name@level` metrics (the ramp's) by level, then in first-seen order; the others first, errors last. */
const inTableOrder = (names: ReadonlyArray<string>): ReadonlyArray<string> => {
  const level = (name: string): number => (name.includes("@") ? Number(name.slice(name.indexOf("@") + 1)) : -1)
  const rank = (name: string): number => (name === "errors" || name === "deltas_lost" ? Number.POSITIVE_INFINITY : level(name))
  return names.map((name, i) => ({ name, i })).sort((a, b) => rank(a.name) - rank(b.name) || a.i - b.i).map((e) => e.name)
}

/** A stream scenario's table: one row per metric, the three servers' medians and two ratios to raw `ws`. */
export const formatStreamTable = (summary: StreamSummary): string => {
  const { labels, runs } = summary
  const header = [summary.scenario, labels.raw, labels.service, labels.socketio, `${labels.service}/raw`, `${labels.socketio}/raw`]
  const names = summary.scenario === "stream-ramp" ? inTableOrder(metricNames(KEYS.map((key) => runs[key].median))) : metricNames(KEYS.map((key) => runs[key].median))
  const rows = names.map((name) => [
    name,
    ...KEYS.map((key) => formatFigure(runs[key].median[name])),
    formatRatio(summary.ratio.serviceVsRaw[name]),
    formatRatio(summary.ratio.socketIoVsRaw[name])
  ])
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)))
  const line = (cells: ReadonlyArray<string>): string =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n")
}

/** The notes of a stream summary, one line each. */
export const streamNotes = (summary: StreamSummary): ReadonlyArray<string> =>
  KEYS.flatMap((key) => summary.runs[key].notes.map((note) => `note ${summary.scenario} ${summary.labels[key]}: ${note}`))
