import { setTimeout as sleep } from "node:timers/promises"
import { type BenchClient, connectMany } from "../client.js"
import { totalTicks } from "../proc-parse.js"
import { readCpuTicks } from "../proc-read.js"
import { Recorder } from "../recorder.js"
import { cpuMicrosPerMessage, cpuPercent, perSecond } from "../stats.js"
import type { LoadgenTask, RunResult } from "../task.js"
import { userIds } from "./group.js"
import { sampleRssKiB } from "./rss.js"

/**
 * `idle`: the server's RSS per idle authenticated connection (one user each)
 * at each level of connections, minus its RSS before any connection; and the
 * server CPU per connection set up (upgrade, auth, greeting) and while idle.
 */
export const runIdle = async (task: LoadgenTask): Promise<RunResult> => {
  const { levels, settleMs } = task.settings.idle
  const recorder = new Recorder()
  const clients: Array<BenchClient> = []
  const metrics: Record<string, number | null> = {}
  const notes: Array<string> = []
  await sleep(settleMs)
  const base = await sampleRssKiB(task.serverPid)
  metrics["rss_base_mib"] = base === null ? null : base / 1024
  let connectMs = 0
  let connectTicks = 0
  for (const level of [...levels].sort((a, b) => a - b)) {
    const ids = userIds(`idle-${task.tag}`, level, 1).slice(clients.length)
    const ticksBefore = totalTicks(readCpuTicks(task.serverPid))
    const t0 = performance.now()
    const connected = await connectMany(task.wsUrl, ids, task.secret, task.settings.connectBatch)
    connectMs += performance.now() - t0
    connectTicks += totalTicks(readCpuTicks(task.serverPid)) - ticksBefore
    for (const client of connected.clients) client.onUnexpectedClose = () => recorder.error("unexpected_close")
    clients.push(...connected.clients)
    for (let i = 0; i < connected.failures; i++) recorder.error("connect_failed")
    if (connected.firstError !== undefined) notes.push(`first connect error at ${level}: ${connected.firstError}`)
    process.stderr.write(`    idle: ${clients.length} connected\n`)
    const settleTicks = totalTicks(readCpuTicks(task.serverPid))
    const settleStart = performance.now()
    await sleep(settleMs)
    metrics[`idle_cpu_pct@${level}`] = cpuPercent(
      totalTicks(readCpuTicks(task.serverPid)) - settleTicks,
      task.clockTicks,
      (performance.now() - settleStart) / 1000
    )
    const rss = await sampleRssKiB(task.serverPid)
    metrics[`rss_mib@${level}`] = rss === null ? null : rss / 1024
    metrics[`rss_per_conn_kib@${level}`] = rss === null || base === null ? null : (rss - base) / clients.length
  }
  metrics["connected"] = clients.length
  metrics["connect_per_s"] = perSecond(clients.length, connectMs / 1000)
  metrics["cpu_us_per_conn"] = cpuMicrosPerMessage(connectTicks, task.clockTicks, clients.length)
  metrics["errors"] = recorder.errors
  clients.forEach((c) => c.close())
  return { metrics, notes: [...notes, ...recorder.errorNotes()] }
}
