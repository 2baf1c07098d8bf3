import { setTimeout as sleep } from "node:timers/promises"
import { cpuMicrosPerMessage, cpuPercent, perSecond } from "../stats.js"
import type { LoadgenTask, Metrics, RunResult } from "../task.js"
import { sampleRssKiB } from "./rss.js"
import { StreamLoad } from "./stream-load.js"

/** After the window the runs going may finish while frames keep coming (at most `drainMaxMs`). */
const DRAIN_STALL_MS = 10_000

/**
 * `stream`: `runs` users (alternately 1 and 2 connections), each with one
 * model run going at all times; the fake model server streams every answer
 * at `deltaRate` deltas a second. Delivered deltas per second, latency from
 * the fake server's write to the client's read, server CPU per delivered
 * delta, RSS, and the zero-loss check over the whole run. With two nodes
 * (`service-cluster`) CPU and RSS are both nodes' summed, Redis's CPU apart.
 */
export const runStream = async (task: LoadgenTask): Promise<RunResult> => {
  const s = task.settings.stream
  const load = new StreamLoad(task)
  const t0 = performance.now()
  await load.grow(s.runs, s.staggerMs)
  const connectS = (performance.now() - t0) / 1000
  process.stderr.write(`    stream: ${load.userCount} users, ${load.connections} connections in ${connectS.toFixed(1)} s\n`)
  await sleep(s.warmupMs)
  const window = await load.window(s.durationMs)
  const rssByNode = await Promise.all(load.serverPids.map((pid) => sampleRssKiB(pid, 3, 100)))
  const rss = rssByNode.includes(null) ? null : rssByNode.reduce<number>((sum, kib) => sum + kib!, 0)
  const drainStart = performance.now()
  await load.drain(DRAIN_STALL_MS, s.drainMaxMs)
  const drainS = (performance.now() - drainStart) / 1000
  load.close()
  const latency = load.recorder.latency.summary()
  const ticks = task.clockTicks
  const metrics: Metrics = {
    runs: load.userCount,
    connections: load.connections,
    // every connection's share if every answer streamed without a pause between runs: what delivered compares with
    nominal_deltas_per_s: load.connections * s.deltaRate,
    deltas_per_s: perSecond(load.recorder.messages, window.elapsedS),
    p50_ms: latency.p50_ms,
    p99_ms: latency.p99_ms,
    p999_ms: latency.p999_ms,
    max_ms: latency.max_ms,
    cpu_us_per_delta: cpuMicrosPerMessage(window.serverTicks, ticks, load.recorder.messages),
    server_cpu_pct: cpuPercent(window.serverTicks, ticks, window.elapsedS),
    // service-cluster only: Redis's CPU, apart from the nodes' (as the cluster scenario counts it)
    ...(window.redisTicks === null ? {} : {
      redis_cpu_us_per_delta: cpuMicrosPerMessage(window.redisTicks, ticks, load.recorder.messages),
      redis_cpu_pct: cpuPercent(window.redisTicks, ticks, window.elapsedS)
    }),
    model_cpu_pct: cpuPercent(window.modelTicks, ticks, window.elapsedS),
    loadgen_cpu_pct: (window.loadgenMicros / 1e6 / window.elapsedS) * 100,
    rss_mib: rss === null ? null : rss / 1024,
    ...(rssByNode.length < 2 ? {} : Object.fromEntries(rssByNode.map((kib, n) => [`node_${String.fromCharCode(97 + n)}_rss_mib`, kib === null ? null : kib / 1024]))),
    runs_per_s: perSecond(load.completedInWindow, window.elapsedS),
    first_delta_p50_ms: load.firstDelta.summary().p50_ms,
    first_delta_p99_ms: load.firstDelta.summary().p99_ms,
    first_delta_cold_max_ms: load.firstDeltaCold.summary().max_ms,
    drain_s: drainS,
    deltas_total: load.deltasSeen,
    deltas_lost: load.loss.lost,
    errors: load.recorder.errors
  }
  return { metrics, notes: load.notes() }
}
