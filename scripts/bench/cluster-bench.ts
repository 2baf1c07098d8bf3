/**
 * The `cluster` scenario's orchestration: the same fan-out load against the
 * service on one node, the service on two nodes sharing a private Redis, and
 * Socket.IO on two nodes with its Redis adapter; interleaved, several
 * repetitions, fresh processes every time. See scripts/bench/README.md.
 */
import { dirname, join } from "node:path"
import { startNodes } from "./cluster-nodes.js"
import { compileEntry } from "./compile.js"
import { runLoadgen } from "./loadgen-process.js"
import type { BenchOptions } from "./options.js"
import type { Pinning } from "./pinning.js"
import { metricNames, ratios, type TargetRuns } from "./report.js"
import { runRotating } from "./rotation.js"
import { serverNodeArgs } from "./server-node-args.js"
import { formatFigure, formatRatio } from "./table.js"
import { chooseTargets, type TargetSpec } from "./targets.js"
import type { ClusterTopology, LoadgenTask, Metrics, RunResult } from "./task.js"

export const SOCKETIO_ENTRY = "scripts/bench/socketio-server.ts"

/** What the Socket.IO baseline's compiled file imports rather than bundles. */
export const SOCKETIO_EXTERNAL = ["ws", "socket.io", "@socket.io/redis-adapter", "ioredis"]

export type ClusterKey = "single" | "cluster" | "socketio"

/** One of the three set-ups the cluster scenario compares. */
interface ClusterSetup {
  readonly key: ClusterKey
  readonly label: string
  readonly server: TargetSpec
  readonly nodes: 1 | 2
  readonly redis: boolean
  readonly client: ClusterTopology["client"]
}

export interface ClusterContext {
  readonly options: BenchOptions
  readonly pinning: Pinning
  readonly clockTicks: number
  readonly secret: string
  readonly logDir: string
  readonly buildDir: string
}

export interface ClusterSummary {
  readonly labels: Readonly<Record<ClusterKey, string>>
  readonly runs: Readonly<Record<ClusterKey, TargetRuns & { readonly median: Metrics }>>
  /** two nodes / one node, and the service's two nodes / Socket.IO's two nodes, per metric */
  readonly ratio: { readonly clusterVsSingle: Metrics; readonly clusterVsSocketIo: Metrics }
}

const setups = async (ctx: ClusterContext): Promise<ReadonlyArray<ClusterSetup>> => {
  const service = chooseTargets({ ...ctx.options, self: false })[1]
  const socketIo: TargetSpec = {
    key: "baseline",
    label: "socket.io",
    entry: await compileEntry(SOCKETIO_ENTRY, ctx.buildDir, SOCKETIO_EXTERNAL),
    env: {
      AGENT_STEP_MS: String(ctx.options.stepMs),
      BASELINE_EVENTS_PER_RUN: String(ctx.options.eventsPerRun),
      NODE_ENV: "production"
    }
  }
  return [
    { key: "single", label: "1 node", server: service, nodes: 1, redis: false, client: "switchyard" },
    { key: "cluster", label: "2 nodes+redis", server: service, nodes: 2, redis: true, client: "switchyard" },
    { key: "socketio", label: "socket.io 2+redis", server: socketIo, nodes: 2, redis: true, client: "socketio" }
  ]
}

/** One repetition of one set-up: Redis (if any), the nodes, the load generator; everything stopped after. */
const runSetup = async (ctx: ClusterContext, setup: ClusterSetup, rep: number): Promise<RunResult> => {
  const log = (what: string): string => join(ctx.logDir, `cluster-${setup.key}-${what}-${rep}.log`)
  // under --cpu-prof every node of the set-up writes its profile (named by its pid) to one folder
  const profileDir = join(dirname(ctx.options.out), "profiles", `cluster-${setup.key}-${rep}`)
  const { redis, servers, stop } = await startNodes({
    server: { ...setup.server, nodeArgs: serverNodeArgs(ctx.options, profileDir) },
    nodes: setup.nodes,
    redis: setup.redis,
    secret: ctx.secret,
    pinning: ctx.pinning,
    log
  })
  try {
    const urls = servers.map((s) => (setup.client === "socketio" ? s.wsUrl.replace(/^ws:/, "http:").replace(/\/ws$/, "") : s.wsUrl))
    const task: LoadgenTask = {
      scenario: "cluster",
      wsUrl: urls[0]!,
      secret: ctx.secret,
      serverPid: servers[0]!.pid,
      clockTicks: ctx.clockTicks,
      tag: `${rep}-${setup.key}`,
      settings: ctx.options.settings,
      cluster: {
        client: setup.client,
        urls: urls.length === 1 ? [urls[0]!, urls[0]!] : urls,
        serverPids: servers.map((s) => s.pid),
        redisPid: redis?.pid
      }
    }
    return await runLoadgen(task, ctx.pinning.loadgen, 5 * 60_000)
  } finally {
    await stop()
  }
}

const glimpse = (metrics: Metrics): string =>
  ["events_per_s", "p99_ms", "other_node_p99_ms", "cpu_us_per_event", "redis_cpu_us_per_event", "errors"]
    .map((name) => `${name}=${formatFigure(metrics[name])}`)
    .join(" ")

/** Runs the three set-ups `repetitions` times, the order rotating every repetition. */
export const runClusterBench = async (ctx: ClusterContext): Promise<ClusterSummary> => {
  const all = await setups(ctx)
  const summary = await runRotating({
    scenario: "cluster",
    keys: ["single", "cluster", "socketio"],
    setups: all,
    reps: ctx.options.repetitions,
    run: (setup, rep) => runSetup(ctx, setup, rep),
    glimpse
  })
  return {
    labels: Object.fromEntries(all.map((s) => [s.key, s.label])) as Record<ClusterKey, string>,
    runs: summary,
    ratio: {
      clusterVsSingle: ratios(summary.cluster.median, summary.single.median),
      clusterVsSocketIo: ratios(summary.cluster.median, summary.socketio.median)
    }
  }
}

/** The cluster table: one row per metric, the three set-ups' medians and two ratios. */
export const formatClusterTable = (summary: ClusterSummary): string => {
  const { labels, runs } = summary
  const header = ["cluster", labels.single, labels.cluster, labels.socketio, "2 nodes/1 node", "2 nodes/socket.io"]
  const names = metricNames([runs.single.median, runs.cluster.median, runs.socketio.median])
  const rows = names.map((name) => [
    name,
    formatFigure(runs.single.median[name]),
    formatFigure(runs.cluster.median[name]),
    formatFigure(runs.socketio.median[name]),
    formatRatio(summary.ratio.clusterVsSingle[name]),
    formatRatio(summary.ratio.clusterVsSocketIo[name])
  ])
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)))
  const line = (cells: ReadonlyArray<string>): string =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n")
}
