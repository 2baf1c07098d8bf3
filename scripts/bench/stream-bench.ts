/**
 * The `stream` and `stream-ramp` scenarios' orchestration: concurrent model
 * runs against a fake OpenAI-compatible server (model-server.ts, its own
 * process), relayed to the clients by three servers in turn — the raw `ws`
 * baseline, the service (its real model agent over Chat Completions), and
 * Socket.IO — and, when asked for, the service on two nodes sharing a
 * private Redis; fresh processes every time, the order rotating every
 * repetition. See scripts/bench/README.md.
 */
import { dirname, join } from "node:path"
import { SOCKETIO_ENTRY, SOCKETIO_EXTERNAL } from "./cluster-bench.js"
import { type RunningNodes, startNodes } from "./cluster-nodes.js"
import { compileEntry } from "./compile.js"
import { runLoadgen } from "./loadgen-process.js"
import type { BenchOptions, StreamServer } from "./options.js"
import type { Pinning } from "./pinning.js"
import { redisServerVersion } from "./redis-process.js"
import { metricNames, ratios, type TargetRuns } from "./report.js"
import { runRotating } from "./rotation.js"
import { serverNodeArgs } from "./server-node-args.js"
import { startServer, type RunningServer } from "./server-process.js"
import { formatFigure, formatRatio } from "./table.js"
import { BASELINE_ENTRY, chooseTargets, type TargetSpec } from "./targets.js"
import type { LoadgenTask, Metrics, RunResult, StreamTopology } from "./task.js"

export const MODEL_ENTRY = "scripts/bench/model-server.ts"

export type StreamScenario = "stream" | "stream-ramp"
export type StreamKey = StreamServer

const KEYS: ReadonlyArray<StreamKey> = ["raw", "service", "socketio", "service-cluster"]

/** One of the servers the stream scenarios compare. */
interface StreamSetup {
  readonly key: StreamKey
  readonly label: string
  readonly server: TargetSpec
  /** 2: two nodes sharing a private Redis, a user's connection k on node k (runs start on the first) */
  readonly nodes: 1 | 2
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
  /** service / raw, Socket.IO / raw and the service's two nodes / its one, per metric */
  readonly ratio: { readonly serviceVsRaw: Metrics; readonly socketIoVsRaw: Metrics; readonly clusterVsService: Metrics }
}

const LABELS: Readonly<Record<StreamKey, string>> = {
  raw: "raw ws",
  service: "switchyard",
  socketio: "socket.io",
  "service-cluster": "switchyard 2+redis"
}

const setups = async (ctx: StreamContext): Promise<ReadonlyArray<StreamSetup>> => {
  const [baseline, service] = chooseTargets({ ...ctx.options, self: false })
  const baselineRelay = (baseUrl: string) => ({ BASELINE_MODEL_URL: baseUrl })
  // the real model agent over Chat Completions (src/agent/AgentSettings.ts); no key: nothing to send the fake
  const serviceModel = (baseUrl: string) => ({
    AGENT: "openai",
    OPENAI_API: "chat",
    OPENAI_BASE_URL: baseUrl,
    OPENAI_MODEL: "bench-model",
    OPENAI_API_KEY: "",
    DRAIN_TIMEOUT_MS: "1000"
  })
  return [
    {
      key: "raw",
      label: "raw ws",
      server: { ...baseline, entry: await compileEntry(BASELINE_ENTRY, ctx.buildDir) },
      nodes: 1,
      modelEnv: baselineRelay,
      client: "switchyard"
    },
    {
      key: "service",
      label: "switchyard",
      server: service,
      nodes: 1,
      modelEnv: serviceModel,
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
      nodes: 1,
      modelEnv: baselineRelay,
      client: "socketio"
    },
    { key: "service-cluster", label: "switchyard 2+redis", server: service, nodes: 2, modelEnv: serviceModel, client: "switchyard" }
  ]
}

/** One repetition of one set-up: the fake model server, Redis (if any), the server or nodes, the load generator; everything stopped after. */
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
  let nodes: RunningNodes | undefined
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
    // as in the cluster scenario: Redis shares the load generator's core, the server core holds the nodes
    nodes = await startNodes({
      server: {
        ...setup.server,
        env: { ...setup.server.env, ...setup.modelEnv(baseUrl) },
        nodeArgs: serverNodeArgs(ctx.options, profileDir)
      },
      nodes: setup.nodes,
      redis: setup.nodes === 2,
      secret: ctx.secret,
      pinning: ctx.pinning,
      log
    })
    const { redis, servers } = nodes
    const task: LoadgenTask = {
      scenario,
      wsUrl: servers[0]!.wsUrl,
      secret: ctx.secret,
      serverPid: servers[0]!.pid,
      clockTicks: ctx.clockTicks,
      tag: `${rep}-${setup.key}`,
      settings: ctx.options.settings,
      stream: {
        client: setup.client,
        modelPid: model.pid,
        ...(redis === undefined ? {} : { nodes: { urls: servers.map((s) => s.wsUrl), serverPids: servers.map((s) => s.pid), redisPid: redis.pid } })
      }
    }
    return await runLoadgen(task, ctx.pinning.loadgen, 15 * 60_000)
  } finally {
    await nodes?.stop()
    await model?.stop()
  }
}

const GLIMPSE: Readonly<Record<StreamScenario, ReadonlyArray<string>>> = {
  stream: ["deltas_per_s", "p50_ms", "p99_ms", "cpu_us_per_delta", "redis_cpu_us_per_delta", "server_cpu_pct", "loadgen_cpu_pct", "model_cpu_pct", "rss_mib", "deltas_lost", "errors"],
  "stream-ramp": ["runs_within_limit", "errors"]
}

/** Why `service-cluster` does not run in `scenario` although asked for; undefined when it runs (or was not asked for). */
const clusterSkip = (ctx: StreamContext, scenario: StreamScenario): string | undefined => {
  if (!ctx.options.streamServers.includes("service-cluster")) return undefined
  if (scenario === "stream-ramp") return "stream-ramp: service-cluster skipped (stream only)"
  if (redisServerVersion() === undefined) return "stream: service-cluster skipped: redis-server is not installed"
  return undefined
}

/** Runs one stream scenario on the servers asked for (`stream-ramp`: one repetition), the order rotating. */
export const runStreamBench = async (ctx: StreamContext, scenario: StreamScenario): Promise<StreamSummary> => {
  const skip = clusterSkip(ctx, scenario)
  if (skip !== undefined) process.stderr.write(`${skip}\n`)
  const all = (await setups(ctx)).filter((setup) =>
    ctx.options.streamServers.includes(setup.key) && (setup.key !== "service-cluster" || skip === undefined)
  )
  const modelEntry = await compileEntry(MODEL_ENTRY, ctx.buildDir)
  const summary = await runRotating({
    scenario,
    keys: KEYS,
    setups: all,
    reps: scenario === "stream-ramp" ? 1 : ctx.options.repetitions,
    run: (setup, rep) => runSetup(ctx, scenario, setup, modelEntry, rep),
    glimpse: (metrics) => GLIMPSE[scenario].map((name) => `${name}=${formatFigure(metrics[name])}`).join(" ")
  })
  return {
    scenario,
    labels: LABELS,
    runs: summary,
    ratio: {
      serviceVsRaw: ratios(summary.service.median, summary.raw.median),
      socketIoVsRaw: ratios(summary.socketio.median, summary.raw.median),
      clusterVsService: ratios(summary["service-cluster"].median, summary.service.median)
    }
  }
}

/** `name@level` metrics (the ramp's) by level, then in first-seen order; the others first, errors last. */
const inTableOrder = (names: ReadonlyArray<string>): ReadonlyArray<string> => {
  const level = (name: string): number => (name.includes("@") ? Number(name.slice(name.indexOf("@") + 1)) : -1)
  const rank = (name: string): number => (name === "errors" || name === "deltas_lost" ? Number.POSITIVE_INFINITY : level(name))
  return names.map((name, i) => ({ name, i })).sort((a, b) => rank(a.name) - rank(b.name) || a.i - b.i).map((e) => e.name)
}

/**
 * A stream scenario's table: one row per metric, the three servers' medians
 * and two ratios to raw `ws`; with `service-cluster` run, its column and its
 * ratio to the one-node service too.
 */
export const formatStreamTable = (summary: StreamSummary): string => {
  const { labels, runs } = summary
  const withCluster = runs["service-cluster"].reps.length > 0
  const keys = withCluster ? KEYS : KEYS.filter((key) => key !== "service-cluster")
  const header = [
    summary.scenario,
    ...keys.map((key) => labels[key]),
    `${labels.service}/raw`,
    `${labels.socketio}/raw`,
    ...(withCluster ? ["2 nodes/1 node"] : [])
  ]
  const medians = keys.map((key) => runs[key].median)
  const names = summary.scenario === "stream-ramp" ? inTableOrder(metricNames(medians)) : metricNames(medians)
  const rows = names.map((name) => [
    name,
    ...keys.map((key) => formatFigure(runs[key].median[name])),
    formatRatio(summary.ratio.serviceVsRaw[name]),
    formatRatio(summary.ratio.socketIoVsRaw[name]),
    ...(withCluster ? [formatRatio(summary.ratio.clusterVsService[name])] : [])
  ])
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)))
  const line = (cells: ReadonlyArray<string>): string =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n")
}

/** The notes of a stream summary, one line each. */
export const streamNotes = (summary: StreamSummary): ReadonlyArray<string> =>
  KEYS.flatMap((key) => summary.runs[key].notes.map((note) => `note ${summary.scenario} ${summary.labels[key]}: ${note}`))
