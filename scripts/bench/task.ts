/** What the orchestrator asks of one load-generator process, and what it answers. */

export const scenarioNames = ["ping", "ack", "fanout", "idle", "scale", "cluster"] as const
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
  readonly cluster: { readonly users: number; readonly runsPerSecond: number }
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
}

/** Figures of one run, by name (the name carries the unit); null: not measurable. */
export type Metrics = Readonly<Record<string, number | null>>

export interface RunResult {
  readonly metrics: Metrics
  readonly notes: ReadonlyArray<string>
}

/** The load generator prints its result as one stdout line with this prefix. */
export const RESULT_PREFIX = "RESULT "
