import { Effect } from "effect"

/**
 * The log of a step a node repeats against Redis (a lease or presence
 * renewal, a publish): while Redis is away or too slow every attempt fails,
 * and saying each would fill the log with one line a few times a second. An
 * outage is said once instead — a warning at its first failure, one info line
 * at the first success after it. (`OncePerMinute`, used by `AdmissionFallback`
 * and `Redis.unreadable`, says things at most once a minute instead: they come
 * with clients' frames or channel messages, not on a timer, so they have no
 * "first success after" to end an outage with.)
 * Metrics count what each attempt needs counted.
 */
export class OutageLog {
  /** a failure was said and no success since */
  private down = false

  /** `what`: the warning's text, naming the step; `back`: the info line once it succeeds again. */
  constructor(private readonly what: string, private readonly back: string) {}

  /** Whether a failure was said and no success since (a hot path may skip `succeeded` otherwise). */
  get failing(): boolean {
    return this.down
  }

  /** An attempt failed (`why`): a warning if it is the first since the last success. */
  failed(why: string): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.down) return Effect.void
      this.down = true
      return Effect.logWarning(`${this.what} (${why}); said once until it succeeds again`)
    })
  }

  /** An attempt succeeded: the info line if the step had been failing. */
  readonly succeeded: Effect.Effect<void> = Effect.suspend(() => {
    if (!this.down) return Effect.void
    this.down = false
    return Effect.logInfo(this.back)
  })
}
