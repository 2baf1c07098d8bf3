import { parseArgs } from "node:util"
import { isScenarioName, type ScenarioName, scenarioNames, type ScenarioSettings } from "./task.js"

/** Everything `npm run bench -- …` can set. */
export interface BenchOptions {
  readonly scenarios: ReadonlyArray<ScenarioName>
  readonly repetitions: number
  readonly settings: ScenarioSettings
  /** agent step (AGENT_STEP_MS) for the service and the baseline's emulated runs */
  readonly stepMs: number
  /** events of a baseline emulated run */
  readonly eventsPerRun: number
  /** compare the baseline with a second baseline instead of the service (noise check) */
  readonly self: boolean
  readonly serviceEntry: string
  /** LOG_LEVEL of the service */
  readonly logLevel: string
  readonly pin: boolean
  readonly out: string
  readonly quick: boolean
  /** the servers run under `node --cpu-prof`, their profiles written to `bench-results/profiles/` */
  readonly cpuProf: boolean
  /** the servers run under `node --perf-basic-prof`, for `perf record -p <pid>` */
  readonly perfMap: boolean
  /** more options for node on every server of the run (`--node-options`) */
  readonly nodeOptions: ReadonlyArray<string>
  /** which servers the stream scenarios compare */
  readonly streamServers: ReadonlyArray<StreamServer>
}

export const streamServerNames = ["raw", "service", "socketio", "service-cluster"] as const
export type StreamServer = (typeof streamServerNames)[number]

/** `service-cluster` (three more processes) runs only when asked for: the default run's time stays as it was */
export const defaultStreamServers: ReadonlyArray<StreamServer> = ["raw", "service", "socketio"]

const streamServers = (value: string | undefined): ReadonlyArray<StreamServer> => {
  if (value === undefined) return defaultStreamServers
  const names = value.split(",").map((s) => s.trim()).filter((s) => s.length > 0)
  for (const name of names) {
    if (!(streamServerNames as ReadonlyArray<string>).includes(name)) throw new Error(`unknown stream server ${name} (${streamServerNames.join(", ")})`)
  }
  return streamServerNames.filter((name) => names.includes(name))
}

export const usage = `npm run bench -- [options]

  --quick                 a ~1-1.5 minute look (1 repetition, 2-3 s windows, fewer connections)
  --scenarios LIST        comma list of ${scenarioNames.join(",")} (default: all;
                          cluster only where redis-server is installed; stream and stream-ramp compare
                          raw ws, the service and Socket.IO relaying a fake model server)
  --reps N                repetitions per scenario and server (default 3; quick 1)
  --duration S            measured seconds of ping/ack/fanout (default 5; quick 2)
  --warmup S              seconds of load before measuring (default 2; quick 1)
  --connections N         ack: connections (default 100)
  --inflight N            ack: acknowledged frames in flight per connection (default 32)
  --fanout-users N        fanout: users (default 20)
  --fanout-conns N        fanout: connections per user (default 4)
  --fanout-runs N         fanout: runs in flight per user (default 1)
  --idle LIST             idle: connection levels (default 5000,10000; quick 1000,2000)
  --idle-settle S         idle: seconds between connecting and reading RSS (default 1; quick 0.5); longer
                          lets the connect burst's garbage be collected, so RSS is what the connections hold
  --scale-users N         scale: connected users (default 10000; quick 1000)
  --scale-rate N          scale: runs started per second (default 50)
  --scale-duration S      scale: measured seconds (default 8; quick 3)
  --cluster-users N       cluster: users, each with a connection on both nodes (default 100)
  --cluster-events N      cluster: stream events delivered per second, both connections of a user
                          counted (default 1000: 62.5 runs/s of --events-per-run events, each to 2 connections)
  --cluster-runs-on W     cluster: split (default: half of the users start their runs on each node) or first
                          (all on node A: node B only receives, so node_a/node_b_cpu_us_per_event tell the
                          run's node's work from the receiving node's)
  --stream-runs N         stream: model runs going at once, one per user, users alternately with 1 and 2
                          connections (default 1000; quick 100)
  --stream-deltas N       stream: text deltas of one answer (default 250)
  --stream-rate N         stream: deltas per second of one answer (default 50)
  --stream-warmup S       stream: seconds of load before measuring (default 4; quick 3)
  --stream-duration S     stream: measured seconds (default 8; quick 4)
  --stream-servers LIST   stream, stream-ramp: which of raw,service,socketio,service-cluster run (default:
                          raw,service,socketio); service-cluster (stream only, needs redis-server): two
                          service nodes sharing a private Redis, a user's second connection on the other node
  --ramp-start N          stream-ramp: runs of the first level (default 20)
  --ramp-factor F         stream-ramp: each level has F times the runs of the one before (default 1.25; quick 1.5)
  --ramp-max N            stream-ramp: the last level (default 4000)
  --ramp-p99 MS           stream-ramp: the p99 a level may reach (default 50)
  --ramp-settle S         stream-ramp: seconds of load at a level before measuring it (default 2; quick 1)
  --ramp-window S         stream-ramp: measured seconds per level (default 3; quick 2)
  --cpu-prof              run the servers under node --cpu-prof (profiles in bench-results/profiles/)
  --perf-map              run the servers under node --perf-basic-prof, so that Linux perf (perf record -p PID)
                          names their JavaScript frames
  --node-options="OPTS"   options for node on every server of the run, the service and the baselines alike,
                          space-separated, after an = (they start with a dash): e.g. a V8 flag to try,
                          --node-options=--interrupt-budget=16896; for the service alone, give --service-entry
                          a file that calls v8.setFlagsFromString and imports scripts/start.mjs
  --batch N               connections opened at a time (default 500)
  --step-ms N             agent step, AGENT_STEP_MS of both servers (default 20)
  --events-per-run N      events of a baseline emulated run (default 8)
  --self                  baseline vs a second baseline (no service; shows the noise)
  --service-entry PATH    the service's entry (default scripts/start.mjs, what npm start runs)
  --log-level L           LOG_LEVEL of the service (default warn; it runs with NODE_ENV=production)
  --no-pin                do not pin server and load generator with taskset
  --out PATH              JSON results (default bench-results/latest.json)
  --help
`

const runsOn = (value: string | undefined): "split" | "first" => {
  if (value === undefined || value === "split" || value === "first") return value ?? "split"
  throw new Error(`--cluster-runs-on wants split or first, got ${value}`)
}

const positiveInt = (name: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} wants a non-negative integer, got ${value}`)
  return n
}

const seconds = (name: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback * 1000
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} wants seconds, got ${value}`)
  return Math.round(n * 1000)
}

const positiveNumber = (name: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} wants a positive number, got ${value}`)
  return n
}

const factor = (value: string | undefined, fallback: number): number => {
  const n = positiveNumber("ramp-factor", value, fallback)
  if (n <= 1) throw new Error(`--ramp-factor wants a number above 1, got ${value}`)
  return n
}

const intList = (name: string, value: string | undefined, fallback: ReadonlyArray<number>): ReadonlyArray<number> =>
  value === undefined ? fallback : value.split(",").map((v) => positiveInt(name, v.trim(), 0))

const scenarioList = (value: string | undefined): ReadonlyArray<ScenarioName> => {
  if (value === undefined) return scenarioNames
  const names = value.split(",").map((s) => s.trim()).filter((s) => s.length > 0)
  for (const name of names) if (!isScenarioName(name)) throw new Error(`unknown scenario ${name}`)
  return names.filter(isScenarioName)
}

/** Parses the command line; undefined for --help. */
export const parseOptions = (argv: ReadonlyArray<string>): BenchOptions | undefined => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: "boolean", default: false },
      scenarios: { type: "string" },
      reps: { type: "string" },
      duration: { type: "string" },
      warmup: { type: "string" },
      connections: { type: "string" },
      inflight: { type: "string" },
      "fanout-users": { type: "string" },
      "fanout-conns": { type: "string" },
      "fanout-runs": { type: "string" },
      idle: { type: "string" },
      "idle-settle": { type: "string" },
      "scale-users": { type: "string" },
      "scale-rate": { type: "string" },
      "scale-duration": { type: "string" },
      "cluster-users": { type: "string" },
      "cluster-events": { type: "string" },
      "cluster-runs-on": { type: "string" },
      "stream-runs": { type: "string" },
      "stream-deltas": { type: "string" },
      "stream-rate": { type: "string" },
      "stream-warmup": { type: "string" },
      "stream-duration": { type: "string" },
      "stream-servers": { type: "string" },
      "ramp-start": { type: "string" },
      "ramp-factor": { type: "string" },
      "ramp-max": { type: "string" },
      "ramp-p99": { type: "string" },
      "ramp-settle": { type: "string" },
      "ramp-window": { type: "string" },
      "cpu-prof": { type: "boolean", default: false },
      "perf-map": { type: "boolean", default: false },
      "node-options": { type: "string" },
      batch: { type: "string" },
      "step-ms": { type: "string" },
      "events-per-run": { type: "string" },
      self: { type: "boolean", default: false },
      "service-entry": { type: "string" },
      "log-level": { type: "string" },
      "no-pin": { type: "boolean", default: false },
      out: { type: "string" },
      help: { type: "boolean", default: false }
    },
    strict: true,
    allowPositionals: false
  })
  if (values.help === true) return undefined
  const quick = values.quick === true
  const eventsPerRun = Math.max(2, positiveInt("events-per-run", values["events-per-run"], 8))
  return {
    scenarios: scenarioList(values.scenarios),
    repetitions: Math.max(1, positiveInt("reps", values.reps, quick ? 1 : 3)),
    settings: {
      warmupMs: seconds("warmup", values.warmup, quick ? 1 : 2),
      durationMs: seconds("duration", values.duration, quick ? 2 : 5),
      connectBatch: Math.max(1, positiveInt("batch", values.batch, 500)),
      ack: {
        connections: positiveInt("connections", values.connections, 100),
        inFlight: Math.max(1, positiveInt("inflight", values.inflight, 32))
      },
      fanout: {
        users: positiveInt("fanout-users", values["fanout-users"], 20),
        connsPerUser: Math.max(1, positiveInt("fanout-conns", values["fanout-conns"], 4)),
        runsPerUser: Math.max(1, positiveInt("fanout-runs", values["fanout-runs"], 1))
      },
      idle: { levels: intList("idle", values.idle, quick ? [1000, 2000] : [5000, 10_000]), settleMs: seconds("idle-settle", values["idle-settle"], quick ? 0.5 : 1) },
      scale: {
        users: positiveInt("scale-users", values["scale-users"], quick ? 1000 : 10_000),
        runsPerSecond: Math.max(1, positiveInt("scale-rate", values["scale-rate"], 50)),
        durationMs: seconds("scale-duration", values["scale-duration"], quick ? 3 : 8)
      },
      cluster: {
        users: Math.max(1, positiveInt("cluster-users", values["cluster-users"], 100)),
        // every event of a run is delivered twice (the user's connection on each node)
        runsPerSecond: Math.max(1, positiveInt("cluster-events", values["cluster-events"], 1000)) / (eventsPerRun * 2),
        runsOn: runsOn(values["cluster-runs-on"])
      },
      stream: {
        runs: Math.max(1, positiveInt("stream-runs", values["stream-runs"], quick ? 100 : 1000)),
        deltasPerRun: Math.max(1, positiveInt("stream-deltas", values["stream-deltas"], 250)),
        deltaRate: Math.max(1, positiveInt("stream-rate", values["stream-rate"], 50)),
        warmupMs: seconds("stream-warmup", values["stream-warmup"], quick ? 3 : 4),
        durationMs: seconds("stream-duration", values["stream-duration"], quick ? 4 : 8),
        staggerMs: 1000,
        drainMaxMs: quick ? 60_000 : 180_000
      },
      ramp: {
        start: Math.max(1, positiveInt("ramp-start", values["ramp-start"], 20)),
        factor: factor(values["ramp-factor"], quick ? 1.5 : 1.25),
        max: Math.max(1, positiveInt("ramp-max", values["ramp-max"], 4000)),
        p99LimitMs: positiveNumber("ramp-p99", values["ramp-p99"], 50),
        settleMs: seconds("ramp-settle", values["ramp-settle"], quick ? 1 : 2),
        windowMs: seconds("ramp-window", values["ramp-window"], quick ? 2 : 3)
      }
    },
    stepMs: positiveInt("step-ms", values["step-ms"], 20),
    eventsPerRun,
    self: values.self === true,
    serviceEntry: values["service-entry"] ?? "scripts/start.mjs",
    logLevel: values["log-level"] ?? "warn",
    pin: values["no-pin"] !== true,
    out: values.out ?? "bench-results/latest.json",
    quick,
    cpuProf: values["cpu-prof"] === true,
    perfMap: values["perf-map"] === true,
    nodeOptions: (values["node-options"] ?? "").split(" ").filter((option) => option.length > 0),
    streamServers: streamServers(values["stream-servers"])
  }
}
