import { setTimeout as sleep } from "node:timers/promises"
import { connectMany } from "../client.js"
import { Recorder } from "../recorder.js"
import { perSecond } from "../stats.js"
import type { LoadgenTask, RunResult } from "../task.js"
import { measureWindow, throughputMetrics } from "../window.js"
import { byUser, userIds } from "./group.js"
import { sampleRssKiB } from "./rss.js"
import { RunTally, UserDriver } from "./runs.js"

/** How long in-flight runs may take to finish after the window before they count as errors. */
const DRAIN_MS = 10_000

/**
 * `scale`: `users` users with one connection each, and a steady trickle of
 * `runsPerSecond` agent runs started round-robin across them. Errors of any
 * kind (refused connections, error frames, closes, seq gaps, runs that do not
 * complete) should be 0; event latency from `ts`.
 */
export const runScale = async (task: LoadgenTask): Promise<RunResult> => {
  const { users, runsPerSecond, durationMs } = task.settings.scale
  const recorder = new Recorder()
  const tally = new RunTally()
  const t0 = performance.now()
  const connected = await connectMany(task.wsUrl, userIds(`scale-${task.tag}`, users, 1), task.secret, task.settings.connectBatch)
  const connectS = (performance.now() - t0) / 1000
  process.stderr.write(`    scale: ${connected.clients.length} connected in ${connectS.toFixed(1)} s\n`)
  for (let i = 0; i < connected.failures; i++) recorder.error("connect_failed")
  const drivers = byUser(connected.clients).map((clients) => new UserDriver(clients, recorder, tally, () => {}))
  // start the runs due by now (timers fire late on a busy machine: catch up, keep the rate exact)
  const trickleStart = performance.now()
  let next = 0
  const trickle = setInterval(() => {
    const due = Math.floor(((performance.now() - trickleStart) / 1000) * runsPerSecond)
    for (; next < due && drivers.length > 0; next++) drivers[next % drivers.length]!.startRun()
  }, 5)
  const window = await measureWindow(recorder, task.serverPid, task.settings.warmupMs, durationMs)
  clearInterval(trickle)
  const rss = await sampleRssKiB(task.serverPid, 3, 100)
  const deadline = performance.now() + DRAIN_MS
  while (tally.inFlight > 0 && performance.now() < deadline) await sleep(50)
  for (let i = 0; i < tally.inFlight; i++) recorder.error("run_incomplete")
  connected.clients.forEach((c) => c.close())
  const metrics = {
    connected: connected.clients.length,
    connect_s: connectS,
    ...throughputMetrics(recorder, window, task.clockTicks, "event"),
    runs_per_s: perSecond(tally.completedInWindow, window.elapsedS),
    run_p50_ms: tally.duration.summary().p50_ms,
    run_p99_ms: tally.duration.summary().p99_ms,
    rss_mib: rss === null ? null : rss / 1024
  }
  const notes = connected.firstError === undefined ? [] : [`first connect error: ${connected.firstError}`]
  return { metrics, notes: [...notes, ...recorder.errorNotes()] }
}
