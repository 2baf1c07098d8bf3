import { setTimeout as sleep } from "node:timers/promises"
import { cpuPercent, perSecond } from "../stats.js"
import type { LoadgenTask, RunResult } from "../task.js"
import { StreamLoad } from "./stream-load.js"

/** Rounds to two significant digits (levels 100, 130, 160, 200, 250, …). */
const twoDigits = (n: number): number => {
  const scale = 10 ** Math.max(0, Math.floor(Math.log10(n)) - 1)
  return Math.round(n / scale) * scale
}

/** The ramp's levels of concurrent runs: from `start`, × `factor` each time, up to `max`. */
export const rampLevels = (start: number, factor: number, max: number): ReadonlyArray<number> => {
  const levels: Array<number> = []
  for (let level = Math.max(1, start); level <= max; level = Math.max(level + 1, twoDigits(level * factor))) levels.push(level)
  return levels
}

/** Above this share of a core, the load side (load generator + fake model server, sharing a core) is the bottleneck. */
const LOAD_CORE_SATURATED_PCT = 90

/**
 * `stream-ramp`: the `stream` load, level after level of more concurrent
 * runs (more users added, runs spread over a second), each level settled
 * then measured, until the p99 of the level's window passes `p99LimitMs` or
 * a delta is lost. The figure: the most runs whose p99 stayed within the
 * limit (`runs_within_limit`), with the server on one core.
 */
export const runStreamRamp = async (task: LoadgenTask): Promise<RunResult> => {
  const r = task.settings.ramp
  const load = new StreamLoad(task)
  const metrics: Record<string, number | null> = {}
  const notes: Array<string> = []
  let within = 0
  for (const [i, level] of rampLevels(r.start, r.factor, r.max).entries()) {
    await load.grow(level, Math.min(1000, r.settleMs))
    // the first level also warms the JIT and the connection pools up
    await sleep(i === 0 ? Math.max(r.settleMs, task.settings.stream.warmupMs) : r.settleMs)
    const errorsBefore = load.recorder.errors
    const lostBefore = load.loss.lost
    let window = await load.window(r.windowMs)
    let p99 = load.recorder.latency.summary().p99_ms
    if (p99 !== null && p99 > r.p99LimitMs && load.recorder.errors === errorsBefore) {
      // one window over the limit may be a moment of the machine's: the level fails if a second one is over too
      process.stderr.write(`    ramp ${level} runs: p99 ${p99.toFixed(1)} ms, measuring again\n`)
      window = await load.window(r.windowMs)
      p99 = load.recorder.latency.summary().p99_ms
    }
    const ticks = task.clockTicks
    const serverPct = cpuPercent(window.serverTicks, ticks, window.elapsedS)
    const loadPct = (cpuPercent(window.modelTicks, ticks, window.elapsedS) ?? 0) + (window.loadgenMicros / 1e6 / window.elapsedS) * 100
    metrics[`p99_ms@${level}`] = p99
    metrics[`deltas_per_s@${level}`] = perSecond(load.recorder.messages, window.elapsedS)
    metrics[`server_cpu_pct@${level}`] = serverPct
    metrics[`load_core_pct@${level}`] = loadPct
    const newErrors = load.recorder.errors - errorsBefore
    const lost = load.loss.lost - lostBefore
    process.stderr.write(
      `    ramp ${level} runs: p99 ${p99?.toFixed(1) ?? "–"} ms, server ${serverPct?.toFixed(0) ?? "?"}%, load core ${loadPct.toFixed(0)}%` +
        `${newErrors > 0 ? `, ${newErrors} errors` : ""}\n`
    )
    if (p99 === null || p99 > r.p99LimitMs || newErrors > 0 || lost > 0) {
      const why = p99 === null ? "no delta delivered" : newErrors > 0 ? `${newErrors} errors (${lost} deltas lost)` : `p99 ${p99.toFixed(1)} ms`
      const side = loadPct >= LOAD_CORE_SATURATED_PCT
        ? `the load core was at ${loadPct.toFixed(0)}% (the figure is a floor: the load side gave out first)`
        : `server core at ${serverPct?.toFixed(0) ?? "?"}%, load core at ${loadPct.toFixed(0)}%`
      notes.push(`stopped at ${level} runs: ${why}; ${side}`)
      break
    }
    within = level
  }
  if (within === r.max) notes.push(`reached --ramp-max ${r.max} runs within the limit`)
  // the zero-loss check of every run, the last level's too: a slow server may take a while
  await load.drain(10_000, task.settings.stream.drainMaxMs)
  load.close()
  return {
    metrics: { runs_within_limit: within, ...metrics, errors: load.recorder.errors, deltas_lost: load.loss.lost },
    notes: [...notes, ...load.notes()]
  }
}
