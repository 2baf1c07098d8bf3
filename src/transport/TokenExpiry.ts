import { Effect, Schedule } from "effect"

/**
 * A connection does not outlive its token (PROTOCOL §2): at the token's `exp`
 * the connection is closed with 4001. One shared wheel of one-second buckets,
 * swept by one loop on effect's `Clock` (so `TestClock` drives it): a timer per
 * connection would cost an idle connection a Node timer list of its own, since
 * no two connections wait the same number of milliseconds.
 */

/** Something that ends when its token expires: a served connection. */
export interface Expiring {
  /** the wheel's bookkeeping: the second whose bucket holds it, if any */
  expiryBucket: number | undefined
  /** called once, at (or within a second after) the expiry it was watched for */
  tokenExpired(): void
}

/** How often the wheel is swept: tokens' `exp` is in whole seconds. */
export const TICK_MS = 1000

/**
 * The wheel: watch a connection until its token expires, or until it closes first.
 * `TokenExpiry.Default`: the wheel with its sweep loop, for as long as the layer's scope lives.
 */
export class TokenExpiry extends Effect.Service<TokenExpiry>()("switchyard/TokenExpiry", {
  scoped: Effect.gen(function*() {
    const clock = yield* Effect.clock
    const buckets = new Map<number, Set<Expiring>>()
    let watched = 0
    // every second up to this one has been swept
    let swept = Math.floor(clock.unsafeCurrentTimeMillis() / 1000)

    const expireBucket = (second: number): void => {
      const bucket = buckets.get(second)
      if (bucket === undefined) return
      buckets.delete(second)
      watched -= bucket.size
      for (const target of bucket) {
        target.expiryBucket = undefined
        target.tokenExpired()
      }
    }

    const sweep: Effect.Effect<void> = Effect.sync(() => {
      const now = Math.floor(clock.unsafeCurrentTimeMillis() / 1000)
      if (now <= swept) return
      if (now - swept <= buckets.size) {
        for (let second = swept + 1; second <= now; second++) expireBucket(second)
      } else {
        // the clock jumped further than there are buckets: visit the buckets, not the seconds
        for (const second of Array.from(buckets.keys())) if (second <= now) expireBucket(second)
      }
      swept = now
    })

    const unwatch = (target: Expiring): void => {
      const second = target.expiryBucket
      if (second === undefined) return
      target.expiryBucket = undefined
      const bucket = buckets.get(second)
      if (bucket?.delete(target) !== true) return
      watched--
      if (bucket.size === 0) buckets.delete(second)
    }

    const watch = (target: Expiring, expiresAt: number): void => {
      unwatch(target)
      // a token already past its exp (taken within the clock leeway) goes with the next sweep
      const second = Math.max(Math.ceil(expiresAt), swept + 1)
      let bucket = buckets.get(second)
      if (bucket === undefined) buckets.set(second, bucket = new Set())
      bucket.add(target)
      target.expiryBucket = second
      watched++
    }

    yield* Effect.forkScoped(Effect.repeat(sweep, Schedule.spaced(TICK_MS)))
    return {
      /**
       * Calls `target.tokenExpired()` once the clock reaches `expiresAt` (seconds
       * since the epoch). Already past: it is called by the next sweep.
       */
      watch,
      /** Forgets `target` (it closed before its token expired). */
      unwatch,
      /** One sweep: expires every target whose second has come (the loop runs it every `TICK_MS`). */
      sweep,
      /** How many targets are watched. */
      size: (): number => watched
    }
  })
}) {}
