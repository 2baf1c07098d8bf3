/**
 * What the service remembers about one agent run of a user: the input of the
 * quality handlers (PROTOCOL §4 `quality_*`) and of `stop_agent`'s `stopped` flag.
 */
export type RunStatus = "running" | "completed" | "failed" | "cancelled"

export interface RunRecord {
  readonly runId: string
  readonly threadId: string | undefined
  readonly agent: string
  status: RunStatus
  /** epoch milliseconds (effect `Clock`) */
  readonly startedAt: number
  /** epoch milliseconds; set when the run ends */
  endedAt: number | undefined
  /** names of the tools the run called, in call order (repeats included) */
  readonly tools: Array<string>
  /** the final answer text, when completed */
  responseText: string | undefined
  /** the error code, when failed */
  errorCode: string | undefined
}
