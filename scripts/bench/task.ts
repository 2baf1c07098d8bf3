/** What the orchestrator asks of one load-generator process, and what it answers. */

export const scenarioNames = ["ping", "ack", "fanout", "idle", "scale"] as const
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
}

/** Figures of one run, by name (the name carries the unit); null: not measurable. */
export type Metrics = Readonly<Record<string, number | null>>

export interface RunResult {
  readonly metrics: Metrics
  readonly notes: ReadonlyArray<string>
}

/** The load generator prints its result as one stdout line with this prefix. */
export const RESULT_PREFIX = "RESULT "
