/** What the orchestrator asks of one load-generator process, and what it answers. */

export const scenarioNames = ["ping", "ack", "fanout", "idle", "scale", "cluster", "stream", "stream-ramp"] as const
export type ScenarioName = (typeof scenarioNames)[number]

export const isScenarioName = (s: string): s is ScenarioName => (scenarioNames as ReadonlyArray<string>).includes(s)

/** The knobs of every scenario (the CLI options, see options.ts). */
export interface ScenarioSettings {
  readonly warmupMs: number
  readonly durationMs: number
  readonly connectBatch: number
  readonly ack: { readonly connections: number; readonly inFlight: number }
  readonly fanout: { readonly users: number; readonly connsPerUser: number; readonly runsPerUser: number }
  readonly idle: { readonly levels: ReadonlyArray<number>; readonly settleMs: number }
  readonly scale: { readonly users: number; readonly runsPerSecond: number; readonly durationMs: number }
  /** runsPerSecond may be fractional (set from the events/s wanted) */
  readonly cluster: {
    readonly users: number
    readonly runsPerSecond: number
    /** where users start their runs: half on each node, or all on the first (each node's role measured apart) */
    readonly runsOn: "split" | "first"
  }
  readonly stream: StreamSettings
  readonly ramp: RampSettings
}

/** The `stream` scenario: concurrent model runs, each streaming from the fake model server. */
export interface StreamSettings {
  /** model runs going at once (one per user; users alternate 1 and 2 connections) */
  readonly runs: number
  /** text deltas of one answer */
  readonly deltasPerRun: number
  /** deltas per second of one answer */
  readonly deltaRate: number
  readonly warmupMs: number
  readonly durationMs: number
  /** the first runs start spread over this long, so the runs' deltas are not in step */
  readonly staggerMs: number
  /** after the window, the runs going may finish for at most this long (while frames keep coming) */
  readonly drainMaxMs: number
}

/** The `stream-ramp` scenario: more runs, level by level, until p99 passes the limit. */
export interface RampSettings {
  readonly start: number
  /** each level has this many times the runs of the one before */
  readonly factor: number
  readonly max: number
  /** per level: load before measuring, then the measured window */
  readonly settleMs: number
  readonly windowMs: number
  readonly p99LimitMs: number
}

/** The processes of a `stream` / `stream-ramp` run besides the server. */
export interface StreamTopology {
  /** `switchyard`: this protocol over ws (the service and the raw baseline); `socketio`: the Socket.IO baseline */
  readonly client: "switchyard" | "socketio"
  /** the fake model server, whose CPU is reported apart */
  readonly modelPid: number
  /** `service-cluster` only: the two nodes and their Redis */
  readonly nodes?: StreamNodes
}

/** Nodes sharing a Redis: a user's connection k goes to `urls[k]`; CPU and RSS summed over `serverPids`, Redis's CPU apart. */
export interface StreamNodes {
  readonly urls: ReadonlyArray<string>
  readonly serverPids: ReadonlyArray<number>
  readonly redisPid: number
}

/** The servers of a `cluster` run: which client speaks to them, where they listen, what /proc is read for. */
export interface ClusterTopology {
  /** `switchyard`: this protocol over ws; `socketio`: the Socket.IO baseline */
  readonly client: "switchyard" | "socketio"
  /** every user has one connection at each url, in this order (one node's url twice: both on that node) */
  readonly urls: ReadonlyArray<string>
  readonly serverPids: ReadonlyArray<number>
  /** the private redis-server, when the run has one */
  readonly redisPid: number | undefined
}

/** One load-generator run: a scenario against one server process. */
export interface LoadgenTask {
  readonly scenario: ScenarioName
  /** e.g. ws://127.0.0.1:18080/ws */
  readonly wsUrl: string
  readonly secret: string
  /** the server process, for /proc CPU and RSS */
  readonly serverPid: number
  readonly clockTicks: number
  /** makes user ids unique per run */
  readonly tag: string
  readonly settings: ScenarioSettings
  /** `cluster` only */
  readonly cluster?: ClusterTopology
  /** `stream` and `stream-ramp` only */
  readonly stream?: StreamTopology
}

/** Figures of one run, by name (the name carries the unit); null: not measurable. */
export type Metrics = Readonly<Record<string, number | null>>

export interface RunResult {
  readonly metrics: Metrics
  readonly notes: ReadonlyArray<string>
}

/** The load generator prints its result as one stdout line with this prefix. */
export const RESULT_PREFIX = "RESULT "
