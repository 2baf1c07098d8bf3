import { Effect, Logger } from "effect"

/** A log line as a test reads it: its level and its message (parts joined by a space). */
export interface LogLine {
  readonly level: string
  readonly message: string
}

/**
 * Collects the log lines of what `effect` starts — fibers it forks keep the
 * logger (a store's background renewals) — into `lines`.
 */
export const capturingLogs = () => {
  const lines: Array<LogLine> = []
  const logger = Logger.make(({ logLevel, message }) => {
    const parts = Array.isArray(message) ? message : [message]
    lines.push({ level: logLevel.label, message: parts.map((part) => String(part)).join(" ") })
  })
  const capture = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.provide(effect, Logger.replace(Logger.defaultLogger, logger))
  /** the lines at `level` whose message contains `text` */
  const matching = (level: string, text: string) =>
    lines.filter((line) => line.level === level && line.message.includes(text))
  return { lines, capture, matching }
}
