import { connectMany } from "../client.js"
import { Recorder } from "../recorder.js"
import { perSecond } from "../stats.js"
import type { LoadgenTask, RunResult } from "../task.js"
import { measureWindow, throughputMetrics } from "../window.js"
import { byUser, userIds } from "./group.js"
import { RunTally, UserDriver } from "./runs.js"

/**
 * `fanout`: `users` users with `connsPerUser` connections each; every user
 * keeps `runsPerUser` agent runs going (a new one when one completes). Every
 * stream event reaches all of the user's connections: events delivered per
 * second and latency from the event's `ts` to its receipt.
 */
export const runFanout = async (task: LoadgenTask): Promise<RunResult> => {
  const { users, connsPerUser, runsPerUser } = task.settings.fanout
  const recorder = new Recorder()
  const tally = new RunTally()
  const ids = userIds(`fanout-${task.tag}`, users, connsPerUser)
  const connected = await connectMany(task.wsUrl, ids, task.secret, task.settings.connectBatch)
  for (let i = 0; i < connected.failures; i++) recorder.error("connect_failed")
  let stopped = false
  const next = (driver: UserDriver): void => {
    if (!stopped) driver.startRun()
  }
  const drivers = byUser(connected.clients).map((clients) => new UserDriver(clients, recorder, tally, next))
  for (const driver of drivers) for (let i = 0; i < runsPerUser; i++) driver.startRun()
  const window = await measureWindow(recorder, task.serverPid, task.settings.warmupMs, task.settings.durationMs)
  stopped = true
  connected.clients.forEach((c) => c.close())
  const metrics = {
    ...throughputMetrics(recorder, window, task.clockTicks, "event"),
    runs_per_s: perSecond(tally.completedInWindow, window.elapsedS),
    events_per_run: tally.completedInWindow > 0 ? tally.eventsInWindow / tally.completedInWindow : null,
    run_p50_ms: tally.duration.summary().p50_ms,
    run_p99_ms: tally.duration.summary().p99_ms
  }
  const notes = connected.firstError === undefined ? [] : [`first connect error: ${connected.firstError}`]
  return { metrics, notes: [...notes, ...recorder.errorNotes()] }
}
