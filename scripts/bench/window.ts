import { setTimeout as sleep } from "node:timers/promises"
import { readCpuTicks } from "./proc-read.js"
import { totalTicks } from "./proc-parse.js"
import type { Recorder } from "./recorder.js"
import { cpuMicrosPerMessage, cpuPercent, perSecond } from "./stats.js"
import type { Metrics } from "./task.js"

/** What was measured around one window: wall time, server CPU ticks, load-generator CPU. */
export interface WindowFigures {
  readonly elapsedS: number
  readonly serverTicks: number
  readonly loadgenCpuPct: number
}

/**
 * Lets the load run `warmupMs`, then opens the recorder's window for
 * `durationMs`, reading the server's utime+stime before and after.
 */
export const measureWindow = async (
  recorder: Recorder,
  serverPid: number,
  warmupMs: number,
  durationMs: number
): Promise<WindowFigures> => {
  await sleep(warmupMs)
  const ticksBefore = totalTicks(readCpuTicks(serverPid))
  const cpuBefore = process.cpuUsage()
  const t0 = performance.now()
  recorder.start()
  await sleep(durationMs)
  recorder.stop()
  const elapsedS = (performance.now() - t0) / 1000
  const ticksAfter = totalTicks(readCpuTicks(serverPid))
  const cpu = process.cpuUsage(cpuBefore)
  return {
    elapsedS,
    serverTicks: ticksAfter - ticksBefore,
    loadgenCpuPct: ((cpu.user + cpu.system) / 1e6 / elapsedS) * 100
  }
}

/**
 * The figures every throughput scenario reports, from its recorder and
 * window; `unit` names what a message is (`msg`, `event`).
 */
export const throughputMetrics = (
  recorder: Recorder,
  window: WindowFigures,
  clockTicks: number,
  unit = "msg"
): Metrics => {
  const latency = recorder.latency.summary()
  return {
    [`${unit}s_per_s`]: perSecond(recorder.messages, window.elapsedS),
    p50_ms: latency.p50_ms,
    p99_ms: latency.p99_ms,
    p999_ms: latency.p999_ms,
    max_ms: latency.max_ms,
    [`cpu_us_per_${unit}`]: cpuMicrosPerMessage(window.serverTicks, clockTicks, recorder.messages),
    server_cpu_pct: cpuPercent(window.serverTicks, clockTicks, window.elapsedS),
    loadgen_cpu_pct: window.loadgenCpuPct,
    errors: recorder.errors
  }
}
