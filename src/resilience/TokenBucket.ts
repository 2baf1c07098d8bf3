/**
 * A token bucket (refilled continuously at `perSec`, holding at most `burst`),
 * as plain state and pure steps: the callers own the clock and the map of
 * buckets. Effect's `RateLimiter` waits for a token; a frame over its limit
 * must be answered at once instead, with when to retry.
 */

/** How fast tokens come back and how many a bucket holds. */
export interface Rate {
  readonly perSec: number
  readonly burst: number
}

/** One bucket: its tokens as of `atMs`. */
export interface Bucket {
  tokens: number
  atMs: number
}

/** A full bucket at `nowMs`. */
export const full = (rate: Rate, nowMs: number): Bucket => ({ tokens: rate.burst, atMs: nowMs })

/** Adds the tokens earned since the bucket was last seen. */
export const refill = (bucket: Bucket, rate: Rate, nowMs: number): void => {
  const elapsed = nowMs - bucket.atMs
  if (elapsed > 0) bucket.tokens = Math.min(rate.burst, bucket.tokens + (elapsed * rate.perSec) / 1000)
  // a clock that went back never takes tokens away
  bucket.atMs = Math.max(bucket.atMs, nowMs)
}

/**
 * Takes `cost` tokens (at most `burst`, so that every single request can pass on a
 * full bucket). 0 when taken; otherwise nothing is taken and the result is
 * how many milliseconds until enough tokens are back (at least 1).
 */
export const take = (bucket: Bucket, rate: Rate, cost: number, nowMs: number): number => {
  refill(bucket, rate, nowMs)
  const need = Math.min(cost, rate.burst)
  if (bucket.tokens >= need) {
    bucket.tokens -= need
    return 0
  }
  return Math.max(1, Math.ceil(((need - bucket.tokens) * 1000) / rate.perSec))
}

/**
 * Takes `cost` tokens for work already done (a replay that was sent), even
 * past what is left: the bucket goes into debt, at most one burst deep, and
 * `take` refuses until it is paid back.
 */
export const charge = (bucket: Bucket, rate: Rate, cost: number, nowMs: number): void => {
  refill(bucket, rate, nowMs)
  bucket.tokens = Math.max(-rate.burst, bucket.tokens - cost)
}

/** Is the bucket full again at `nowMs` (and so no different from a new one)? */
export const isFull = (bucket: Bucket, rate: Rate, nowMs: number): boolean => {
  refill(bucket, rate, nowMs)
  return bucket.tokens >= rate.burst
}
