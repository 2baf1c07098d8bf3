import { setTimeout as sleep } from "node:timers/promises"
import { connectClient, type StreamClient } from "../client.js"
import { totalTicks } from "../proc-parse.js"
import { readCpuTicks } from "../proc-read.js"
import { Recorder } from "../recorder.js"
import { connectSocketIo } from "../socketio-client.js"
import { cpuMicrosPerMessage, cpuPercent, perSecond } from "../stats.js"
import type { ClusterTopology, LoadgenTask, Metrics, RunResult } from "../task.js"
import { userIds } from "./group.js"
import { RunTally, UserDriver } from "./runs.js"

/** How long in-flight runs may take to finish after the window before they count as errors. */
const DRAIN_MS = 5_000

const connectOne = (topology: ClusterTopology, url: string, userId: string, secret: string): Promise<StreamClient> =>
  topology.client === "socketio" ? connectSocketIo(url, userId, secret) : connectClient(url, userId, secret)

/**
 * Each user's connections, one at every url; user i's first (its driver, which starts its runs) on node
 * i mod n, or on the first node for every user (`runsOn: "first"`).
 */
const connectUsers = async (task: LoadgenTask, topology: ClusterTopology, recorder: Recorder) => {
  const ids = userIds(`cluster-${task.tag}`, task.settings.cluster.users, 1)
  const users: Array<ReadonlyArray<StreamClient>> = []
  const batch = Math.max(1, Math.floor(task.settings.connectBatch / topology.urls.length))
  let firstError: string | undefined
  for (let start = 0; start < ids.length; start += batch) {
    const settled = await Promise.all(ids.slice(start, start + batch).map((id, k) => {
      const shift = task.settings.cluster.runsOn === "first" ? 0 : (start + k) % topology.urls.length
      const urls = [...topology.urls.slice(shift), ...topology.urls.slice(0, shift)]
      return Promise.allSettled(urls.map((url) => connectOne(topology, url, id, task.secret)))
    }))
    for (const outcomes of settled) {
      const clients: Array<StreamClient> = []
      for (const outcome of outcomes) {
        if (outcome.status === "fulfilled") clients.push(outcome.value)
        else {
          recorder.error("connect_failed")
          firstError ??= outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason)
        }
      }
      if (clients.length === outcomes.length) users.push(clients)
      else clients.forEach((c) => c.close())
    }
  }
  return { users, firstError }
}

const cpuTicksOf = (pids: ReadonlyArray<number>): number => pids.reduce((sum, pid) => sum + totalTicks(readCpuTicks(pid)), 0)

/**
 * `cluster`: `users` users, each with one connection on every node (two
 * nodes and Redis; or both on one node, the single-node comparison), and
 * `runsPerSecond` agent runs started round-robin across them, half of the
 * users starting theirs on each node. Every event of a run reaches the
 * user's connection on the run's node (`same_node_*`) and, through the
 * backplane, the one on the other node (`other_node_*`). Server CPU is the
 * sum of the nodes'; Redis's own CPU is counted apart.
 */
export const runCluster = async (task: LoadgenTask): Promise<RunResult> => {
  const topology = task.cluster
  if (topology === undefined) throw new Error("the cluster scenario needs its topology (started by main.ts)")
  const same = new Recorder()
  const other = new Recorder()
  const tally = new RunTally()
  const { users, firstError } = await connectUsers(task, topology, same)
  const order = topology.client === "socketio" ? "run" : "user"
  const drivers = users.map((clients) =>
    new UserDriver(clients, same, tally, () => {}, (client) => (client === clients[0] ? same : other), order)
  )
  for (const clients of users) {
    for (const client of clients) {
      client.onUnexpectedClose = () => same.error("unexpected_close")
      // a new connection's live events are held until its first frame (up to RESUME_WINDOW_MS, PROTOCOL §6):
      // the connection that does not start runs says something first, as a client with nothing to resume would
      if (topology.client === "switchyard") client.send({ type: "ping", id: "hello" })
    }
  }
  const trickleStart = performance.now()
  let next = 0
  const trickle = setInterval(() => {
    const due = Math.floor(((performance.now() - trickleStart) / 1000) * task.settings.cluster.runsPerSecond)
    for (; next < due && drivers.length > 0; next++) drivers[next % drivers.length]!.startRun()
  }, 5)

  await sleep(task.settings.warmupMs)
  const serverBefore = cpuTicksOf(topology.serverPids)
  const nodesBefore = topology.serverPids.map((pid) => cpuTicksOf([pid]))
  const redisPids = topology.redisPid === undefined ? [] : [topology.redisPid]
  const redisBefore = cpuTicksOf(redisPids)
  const loadgenBefore = process.cpuUsage()
  const t0 = performance.now()
  same.start()
  other.start()
  await sleep(task.settings.durationMs)
  same.stop()
  other.stop()
  const elapsedS = (performance.now() - t0) / 1000
  const serverTicks = cpuTicksOf(topology.serverPids) - serverBefore
  const nodeTicks = topology.serverPids.map((pid, i) => cpuTicksOf([pid]) - nodesBefore[i]!)
  const redisTicks = cpuTicksOf(redisPids) - redisBefore
  const loadgenCpu = process.cpuUsage(loadgenBefore)
  clearInterval(trickle)

  const deadline = performance.now() + DRAIN_MS
  while (tally.inFlight > 0 && performance.now() < deadline) await sleep(50)
  for (let i = 0; i < tally.inFlight; i++) same.error("run_incomplete")
  for (const clients of users) clients.forEach((c) => c.close())

  const delivered = same.messages + other.messages
  const all = same.latency
  const sameSummary = same.latency.summary()
  all.add(other.latency)
  const latency = all.summary()
  const ticks = task.clockTicks
  const metrics: Metrics = {
    users: users.length,
    events_per_s: perSecond(delivered, elapsedS),
    p50_ms: latency.p50_ms,
    p99_ms: latency.p99_ms,
    p999_ms: latency.p999_ms,
    max_ms: latency.max_ms,
    same_node_p99_ms: sameSummary.p99_ms,
    other_node_p50_ms: other.latency.summary().p50_ms,
    other_node_p99_ms: other.latency.summary().p99_ms,
    // the same for runs' ends (`agent_completed`, an eighth of the events) and for every other event
    other_node_run_end_p99_ms: other.runEndLatency.summary().p99_ms,
    other_node_rest_p99_ms: other.restLatency.summary().p99_ms,
    cpu_us_per_event: cpuMicrosPerMessage(serverTicks, ticks, delivered),
    // each node's share of that figure (the two sum to it): with --cluster-runs-on first, node A runs every run
    node_a_cpu_us_per_event: cpuMicrosPerMessage(nodeTicks[0] ?? 0, ticks, delivered),
    node_b_cpu_us_per_event: nodeTicks.length > 1 ? cpuMicrosPerMessage(nodeTicks[1]!, ticks, delivered) : null,
    redis_cpu_us_per_event: redisPids.length === 0 ? null : cpuMicrosPerMessage(redisTicks, ticks, delivered),
    total_cpu_us_per_event: cpuMicrosPerMessage(serverTicks + redisTicks, ticks, delivered),
    server_cpu_pct: cpuPercent(serverTicks, ticks, elapsedS),
    redis_cpu_pct: redisPids.length === 0 ? null : cpuPercent(redisTicks, ticks, elapsedS),
    loadgen_cpu_pct: ((loadgenCpu.user + loadgenCpu.system) / 1e6 / elapsedS) * 100,
    errors: same.errors + other.errors,
    runs_per_s: perSecond(tally.completedInWindow, elapsedS),
    events_per_run: tally.completedInWindow > 0 ? tally.eventsInWindow / tally.completedInWindow : null,
    run_p99_ms: tally.duration.summary().p99_ms
  }
  const notes = firstError === undefined ? [] : [`first connect error: ${firstError}`]
  return { metrics, notes: [...notes, ...same.errorNotes().map((n) => `same node ${n}`), ...other.errorNotes().map((n) => `other node ${n}`)] }
}
