/**
 * The load-generator process: runs one scenario (BENCH_TASK env, JSON
 * LoadgenTask) against one server and prints `RESULT {json}` on stdout.
 * Spawned by main.ts, pinned to its own core.
 */
import { readOpenFileLimit } from "./proc-read.js"
import { runAck } from "./scenarios/ack.js"
import { runCluster } from "./scenarios/cluster.js"
import { runFanout } from "./scenarios/fanout.js"
import { runIdle } from "./scenarios/idle.js"
import { runPing } from "./scenarios/ping.js"
import { runScale } from "./scenarios/scale.js"
import { runStream } from "./scenarios/stream.js"
import { runStreamRamp } from "./scenarios/stream-ramp.js"
import { isScenarioName, type LoadgenTask, RESULT_PREFIX, type RunResult, type ScenarioName } from "./task.js"

const runners: Record<ScenarioName, (task: LoadgenTask) => Promise<RunResult>> = {
  ping: runPing,
  ack: runAck,
  fanout: runFanout,
  idle: runIdle,
  scale: runScale,
  cluster: runCluster,
  stream: runStream,
  "stream-ramp": runStreamRamp
}

/** The most sockets a scenario opens at once. */
const socketsNeeded = (task: LoadgenTask): number => {
  const s = task.settings
  switch (task.scenario) {
    case "ping":
      return 1
    case "ack":
      return s.ack.connections
    case "fanout":
      return s.fanout.users * s.fanout.connsPerUser
    case "idle":
      return Math.max(0, ...s.idle.levels)
    case "scale":
      return s.scale.users
    case "cluster":
      return s.cluster.users * Math.max(1, task.cluster?.urls.length ?? 2)
    case "stream":
      return Math.ceil(s.stream.runs * 1.5)
    case "stream-ramp":
      return Math.ceil(s.ramp.max * 1.5)
  }
}

const readTask = (): LoadgenTask => {
  const raw = process.env["BENCH_TASK"]
  if (raw === undefined) throw new Error("BENCH_TASK is not set (the load generator is started by main.ts)")
  const task = JSON.parse(raw) as LoadgenTask
  if (!isScenarioName(task.scenario)) throw new Error(`unknown scenario ${String(task.scenario)}`)
  return task
}

const main = async (): Promise<void> => {
  const task = readTask()
  const limit = readOpenFileLimit()
  const needed = socketsNeeded(task) + 64
  if (limit !== undefined && limit.soft < needed) {
    throw new Error(
      `open-file limit ${limit.soft} < ${needed} needed for ${task.scenario}: raise it (ulimit -n ${needed}) or lower the connection counts`
    )
  }
  const result = await runners[task.scenario](task)
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`)
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`loadgen failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
    process.exit(1)
  }
)
