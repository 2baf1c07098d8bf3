import { Clock, Effect } from "effect"

/**
 * A warning said at most once a minute per key, for what can come with every
 * message or frame (an admission check decided without Redis, a channel
 * message a node cannot read): a flood of them must not flood the log.
 * Metrics count each; the log says that it happens.
 */
export class OncePerMinute {
  // when each key was last said
  private readonly said = new Map<string, number>()

  warn(key: string, message: string): Effect.Effect<void> {
    return Effect.flatMap(Clock.currentTimeMillis, (now) => (this.due(key, now) ? Effect.logWarning(message) : Effect.void))
  }

  /** Whether `key` is to be said at `now` (epoch ms; then it is taken as said): for callers outside an Effect. */
  due(key: string, now: number): boolean {
    const last = this.said.get(key)
    if (last !== undefined && now - last < 60_000) return false
    this.said.set(key, now)
    return true
  }
}
