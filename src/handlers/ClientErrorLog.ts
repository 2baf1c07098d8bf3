import { Clock, Context, Effect, Layer } from "effect"
import * as TokenBucket from "../resilience/TokenBucket.js"
import * as UserRateLimit from "../resilience/UserRateLimit.js"
import { HandlerSettings } from "./HandlerSettings.js"

/**
 * How many client `error` reports this process writes to its log
 * (`CLIENT_ERROR_LOG_PER_SEC`, bursts of twice that): a token bucket for the
 * whole process, so a flood of reports cannot flood the log, and within it
 * a share per user (a fifth of it, at least one report a second), so one user
 * cannot use up everyone's. Reports not logged are still counted (metric),
 * and the next line says how many were skipped.
 */
export class ClientErrorLog extends Context.Reference<ClientErrorLog>()("switchyard/ClientErrorLog", {
  defaultValue: () => make(HandlerSettings.defaults.clientErrorLogPerSec, Clock.make())
}) {
  /** The configured budget, on the `Clock` in context. */
  static readonly layer: Layer.Layer<ClientErrorLog, never, HandlerSettings> = Layer.effect(
    ClientErrorLog,
    Effect.zipWith(HandlerSettings, Effect.clock, (config, clock) => make(config.clientErrorLogPerSec, clock))
  )
}

/** The log's budget. */
export interface ClientErrorLogBudget {
  /**
   * May a line for this user's report be written now? `undefined` when not
   * (the report is counted as skipped); otherwise how many were skipped since
   * the last line written.
   */
  readonly admit: (userId: string) => number | undefined
}

/** Users whose share is remembered at most (the least recently started forgotten first). */
const MAX_USERS = 10_000

/** A budget of `perSec` lines a second (0: no limit), bursts of twice that. */
export const make = (perSec: number, clock: Clock.Clock): ClientErrorLogBudget => {
  if (perSec <= 0) return { admit: () => 0 }
  const rate: TokenBucket.Rate = { perSec, burst: Math.max(1, Math.ceil(perSec * 2)) }
  const bucket = TokenBucket.full(rate, clock.unsafeCurrentTimeMillis())
  const shares = UserRateLimit.keyed({ perSec: Math.min(perSec, Math.max(perSec / 5, 1)), burst: 2, maxUsers: MAX_USERS }, clock)
  let skipped = 0
  return {
    admit: (userId) => {
      // the user's share first: a user past it takes nothing from the others' budget
      if (shares.take(userId, 1) > 0 || TokenBucket.take(bucket, rate, 1, clock.unsafeCurrentTimeMillis()) > 0) {
        skipped++
        return undefined
      }
      const reported = skipped
      skipped = 0
      return reported
    }
  }
}
