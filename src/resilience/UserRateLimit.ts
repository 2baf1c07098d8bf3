import { type Clock, Effect } from "effect"
import type { ClientFrame } from "../protocol/ClientFrame.js"
import { RateLimitSettings } from "./RateLimitSettings.js"
import * as TokenBucket from "./TokenBucket.js"

/** A token bucket per user id. */
export interface RateLimiter {
  /**
   * Takes `cost` messages from the user's budget: 0 when they may go on,
   * otherwise the milliseconds until enough tokens are back (nothing taken).
   */
  readonly take: (userId: string, cost: number) => number
  /**
   * Takes `cost` messages for work already done, even past the budget (a debt
   * of at most one burst, which the user's next frames wait out).
   */
  readonly charge: (userId: string, cost: number) => void
  /**
   * Cluster mode: `userId` is served by `nodes` nodes, each of which limits
   * the user's messages to its share — the rate and burst divided by
   * `nodes` — so that the user's rate across the cluster is about the
   * configured one. 1 (the default) restores the whole rate.
   */
  readonly share: (userId: string, nodes: number) => void
}

/**
 * Messages per second per user, across all of the user's connections on this
 * node (PROTOCOL §10, `RATE_LIMIT_PER_SEC` / `RATE_LIMIT_BURST`): a token
 * bucket per user id. In cluster mode a user served by several nodes gets
 * a share of the rate on each (`share`), so the limit holds across them. The buckets live here, node-wide, not in the user's
 * session: a user who reconnects does not get a fresh budget.
 * `UserRateLimit.Default`: the limiter of the configured rate (`RATE_LIMIT_PER_SEC` 0: no limit).
 */
export class UserRateLimit extends Effect.Service<UserRateLimit>()("switchyard/UserRateLimit", {
  effect: Effect.flatMap(RateLimitSettings, (config) =>
    make({ perSec: config.rateLimitPerSec, burst: config.rateLimitBurst, maxUsers: MAX_USERS }))
}) {}

/** Buckets kept at most; past it, full (idle) buckets go first, then the oldest. */
export const MAX_USERS = 100_000

/**
 * A limiter reading time from the `Clock` in context when it is made (so
 * `TestClock` drives it in tests); `take` itself is synchronous, as it runs
 * on every frame.
 */
export const make = (options: {
  readonly perSec: number
  readonly burst: number
  readonly maxUsers: number
}): Effect.Effect<RateLimiter> => Effect.map(Effect.clock, (clock) => keyed(options, clock))

/** A token bucket per key, at most `maxUsers` of them, timed by `clock` (`perSec` 0: no limit). */
export const keyed = (
  options: { readonly perSec: number; readonly burst: number; readonly maxUsers: number },
  clock: Clock.Clock
): RateLimiter => {
  if (options.perSec <= 0) return { take: () => 0, charge: () => {}, share: () => {} }
  const rate: TokenBucket.Rate = { perSec: options.perSec, burst: Math.max(1, options.burst) }
  const buckets = new Map<string, TokenBucket.Bucket>()
  // cluster mode: the rates of users served by several nodes (empty on one node: one size check per frame)
  const shared = new Map<string, TokenBucket.Rate>()
  const rateOf = (userId: string): TokenBucket.Rate => (shared.size === 0 ? rate : shared.get(userId) ?? rate)
  const evict = (now: number): void => {
    // a full bucket is the same as none: forgetting it changes nothing
    for (const [user, bucket] of buckets) if (TokenBucket.isFull(bucket, rateOf(user), now)) buckets.delete(user)
    // still crowded: the oldest go (they get a full bucket back), down to 90% so this stays rare
    const keep = Math.floor(options.maxUsers * 0.9)
    for (const user of buckets.keys()) {
      if (buckets.size <= keep) break
      buckets.delete(user)
    }
  }
  const bucketOf = (userId: string, now: number): TokenBucket.Bucket => {
    let bucket = buckets.get(userId)
    if (bucket === undefined) {
      if (buckets.size >= options.maxUsers) evict(now)
      bucket = TokenBucket.full(rateOf(userId), now)
      buckets.set(userId, bucket)
    }
    return bucket
  }
  return {
    take: (userId, cost) => {
      const now = clock.unsafeCurrentTimeMillis()
      return TokenBucket.take(bucketOf(userId, now), rateOf(userId), cost, now)
    },
    charge: (userId, cost) => {
      const now = clock.unsafeCurrentTimeMillis()
      TokenBucket.charge(bucketOf(userId, now), rateOf(userId), cost, now)
    },
    share: (userId, nodes) => {
      if (nodes <= 1) return void shared.delete(userId)
      const part = { perSec: rate.perSec / nodes, burst: Math.max(1, rate.burst / nodes) }
      shared.set(userId, part)
      // what the user holds now is no more than its share's burst
      const bucket = buckets.get(userId)
      if (bucket !== undefined) bucket.tokens = Math.min(bucket.tokens, part.burst)
    }
  }
}

/** A frame costs one message more for each of these characters: parsing is work too, and a flood can be of bytes. */
export const CHARS_PER_MESSAGE = 16 * 1024

/**
 * What a frame costs on arrival, before it is parsed: one message, or its
 * size in `CHARS_PER_MESSAGE` if that is more.
 */
export const arrivalCost = (chars: number): number => Math.max(1, Math.ceil(chars / CHARS_PER_MESSAGE))

/**
 * What a decoded frame costs on top of its arrival: a `batch` does the work
 * of its messages, so it pays for each one beyond the first; any other frame nothing.
 */
export const batchExtra = (frame: ClientFrame): number => {
  const messages = frame.type === "batch" ? frame.payload["messages"] : undefined
  return Array.isArray(messages) && messages.length > 1 ? messages.length - 1 : 0
}
