import { Clock, Context, Effect, Layer } from "effect"
import { SwitchyardConfig } from "../Config.js"
import * as TokenBucket from "../session/TokenBucket.js"

/**
 * How many client `error` reports this process writes to its log
 * (`CLIENT_ERROR_LOG_PER_SEC`, bursts of twice that): a token bucket for the
 * whole process, so a flood of reports cannot flood the log. Reports not
 * logged are still counted (metric), and the next line says how many were skipped.
 */
export class ClientErrorLog extends Context.Reference<ClientErrorLog>()("switchyard/ClientErrorLog", {
  defaultValue: () => make(DEFAULT_PER_SEC, Clock.make())
}) {
  /** The configured budget, on the `Clock` in context. */
  static readonly layer: Layer.Layer<ClientErrorLog, never, SwitchyardConfig> = Layer.effect(
    ClientErrorLog,
    Effect.zipWith(SwitchyardConfig, Effect.clock, (config, clock) => make(config.clientErrorLogPerSec, clock))
  )
}

const DEFAULT_PER_SEC = 5

/** The log's budget. */
export interface ClientErrorLogBudget {
  /**
   * May a line be written now? `undefined` when not (the report is counted as
   * skipped); otherwise how many were skipped since the last line written.
   */
  readonly admit: () => number | undefined
}

/** A budget of `perSec` lines a second (0: no limit), bursts of twice that. */
export const make = (perSec: number, clock: Clock.Clock): ClientErrorLogBudget => {
  if (perSec <= 0) return { admit: () => 0 }
  const rate: TokenBucket.Rate = { perSec, burst: Math.max(1, Math.ceil(perSec * 2)) }
  const bucket = TokenBucket.full(rate, clock.unsafeCurrentTimeMillis())
  let skipped = 0
  return {
    admit: () => {
      if (TokenBucket.take(bucket, rate, 1, clock.unsafeCurrentTimeMillis()) > 0) {
        skipped++
        return undefined
      }
      const reported = skipped
      skipped = 0
      return reported
    }
  }
}
