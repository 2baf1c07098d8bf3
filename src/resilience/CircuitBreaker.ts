/**
 * A small circuit breaker for Effect programs.
 *
 * Effect 3.x ships none (Effect-TS/effect#2843), so this one keeps its state in a
 * `Ref` and reads time through `Clock`, which lets `TestClock` drive its tests.
 *
 * - `closed`: calls run; consecutive failures and (optionally) the failure rate over
 *   a rolling window are tracked. Crossing either limit opens the breaker.
 * - `open`: calls fail fast with {@link CircuitOpenError} without running, until
 *   `resetTimeout` has elapsed; then the breaker is `half_open`.
 * - `half_open`: exactly one probe call runs; concurrent callers fail fast. A
 *   successful probe closes the breaker (counters reset), a failed probe opens it
 *   again with a new reset timer, an interrupted probe releases its slot so the next
 *   caller probes instead.
 *
 * The `open` → `half_open` move happens lazily, on the first call (or `state`
 * read) after the timeout, so the breaker needs no background fiber or Scope.
 *
 * @since 0.1.0
 */
import { Cause, Clock, Data, Duration, Effect, Exit, Ref } from "effect"

/**
 * The externally visible state of a breaker.
 *
 * @since 0.1.0
 */
export type State = "closed" | "open" | "half_open"

/**
 * Raised instead of running the protected effect while the breaker is open, or
 * while it is half-open and its single probe is already in flight.
 *
 * `retryAfterMs` is the time left until the breaker turns half-open (`0` when a
 * probe is in flight: its outcome decides, so retry soon).
 *
 * @since 0.1.0
 */
export class CircuitOpenError extends Data.TaggedError("CircuitOpenError")<{
  readonly breaker: string
  readonly state: "open" | "half_open"
  readonly retryAfterMs: number
}> {
  override get message(): string {
    return this.state === "open"
      ? `circuit breaker "${this.breaker}" is open; retry after ${this.retryAfterMs} ms`
      : `circuit breaker "${this.breaker}" is half-open and its probe call is in flight`
  }
}

/**
 * Failure-rate rule: open when, over the rolling `window`, at least `minimumCalls`
 * calls completed and `failures / calls >= threshold`.
 *
 * The window is tracked in 10 time buckets, so a call leaves it between 90% and
 * 100% of `window` after it completed (exact for calls at a bucket boundary).
 *
 * @since 0.1.0
 */
export interface FailureRateOptions {
  /** Fraction of failed calls, in `(0, 1]`, at or above which the breaker opens. */
  readonly threshold: number
  /** Length of the rolling window. */
  readonly window: Duration.DurationInput
  /** No decision is taken on fewer calls than this within the window. */
  readonly minimumCalls: number
}

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** Name used in logs and in {@link CircuitOpenError}. */
  readonly name: string
  /** Open after this many consecutive failures (default `5`; `Infinity` disables the rule). */
  readonly maxConsecutiveFailures?: number
  /** Optional failure-rate rule, evaluated alongside the consecutive-failure rule. */
  readonly failureRate?: FailureRateOptions
  /** How long the breaker stays open before letting a probe through (default 60 seconds). */
  readonly resetTimeout?: Duration.DurationInput
  /** Called after every state change (errors are not possible; defects are logged and ignored). */
  readonly onStateChange?: (from: State, to: State) => Effect.Effect<void>
  /**
   * Whether a failed call's cause counts as a failure of the protected
   * implementation (default: every failure and defect does). A cause for which it
   * returns `false` is treated like a success (e.g. a client error proves the
   * implementation is up). Interruption never counts either way.
   */
  readonly isFailure?: (cause: Cause.Cause<unknown>) => boolean
}

/**
 * A circuit breaker guarding one implementation.
 *
 * @since 0.1.0
 */
export interface CircuitBreaker {
  /** The breaker's name, as given to {@link make}. */
  readonly name: string
  /** The current state (moves `open` to `half_open` once the reset timeout elapsed). */
  readonly state: Effect.Effect<State>
  /** Runs `self` under the breaker, or fails fast with {@link CircuitOpenError}. */
  readonly protect: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | CircuitOpenError, R>
  /**
   * Like `protect`, but a success is provisional: the call keeps its permit (a
   * half-open probe stays the one probe) until the returned {@link Settle} is
   * given the verdict — for a call that started work whose end decides whether
   * the implementation failed (an agent run that ends `failed`). A failure of
   * `self` is judged at once, as by `protect`. The caller must settle every
   * success exactly once (later calls of `settle` are ignored).
   */
  readonly protectDeferred: <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<readonly [A, Settle], E | CircuitOpenError, R>
}

/**
 * The verdict on a provisional success (see `protectDeferred`): `neutral`
 * says nothing about the implementation (the work was cancelled, or its end
 * could not be observed) and counts like an interrupted call.
 *
 * @since 0.1.0
 */
export type Verdict = "success" | "failure" | "neutral"

/**
 * Hands the breaker the verdict of a provisional success; only the first call counts.
 *
 * @since 0.1.0
 */
export type Settle = (verdict: Verdict) => Effect.Effect<void>

// ---------------------------------------------------------------------------
// internal state machine (pure)
// ---------------------------------------------------------------------------

const BUCKETS = 10

interface Bucket {
  readonly index: number
  readonly calls: number
  readonly failures: number
}

type Internal =
  | {
    readonly _tag: "Closed"
    readonly consecutiveFailures: number
    readonly buckets: ReadonlyArray<Bucket>
  }
  | { readonly _tag: "Open"; readonly openedAt: number }
  | { readonly _tag: "HalfOpen"; readonly probing: boolean }

type Permit = "normal" | "probe"

type Outcome = "success" | "failure" | "interrupted"

interface Transition {
  readonly from: State
  readonly to: State
}

interface Config {
  readonly maxConsecutiveFailures: number
  readonly resetTimeoutMs: number
  readonly rate: {
    readonly threshold: number
    readonly bucketMs: number
    readonly minimumCalls: number
  } | undefined
}

const closed: Internal = { _tag: "Closed", consecutiveFailures: 0, buckets: [] }

const publicState = (s: Internal): State => s._tag === "Closed" ? "closed" : s._tag === "Open" ? "open" : "half_open"

/** Moves an expired `Open` state to `HalfOpen`. */
const settle = (s: Internal, now: number, config: Config): Internal =>
  s._tag === "Open" && now - s.openedAt >= config.resetTimeoutMs ? { _tag: "HalfOpen", probing: false } : s

const transitionOf = (from: Internal, to: Internal): Transition | undefined => {
  const a = publicState(from)
  const b = publicState(to)
  return a === b ? undefined : { from: a, to: b }
}

type Acquired =
  | { readonly _tag: "Permit"; readonly permit: Permit }
  | { readonly _tag: "Reject"; readonly error: CircuitOpenError }

const acquire = (
  name: string,
  s0: Internal,
  now: number,
  config: Config
): readonly [Acquired, Internal] => {
  const s = settle(s0, now, config)
  switch (s._tag) {
    case "Closed":
      return [{ _tag: "Permit", permit: "normal" }, s]
    case "Open":
      return [{
        _tag: "Reject",
        error: new CircuitOpenError({
          breaker: name,
          state: "open",
          retryAfterMs: Math.max(0, s.openedAt + config.resetTimeoutMs - now)
        })
      }, s]
    case "HalfOpen":
      return s.probing
        ? [{ _tag: "Reject", error: new CircuitOpenError({ breaker: name, state: "half_open", retryAfterMs: 0 }) }, s]
        : [{ _tag: "Permit", permit: "probe" }, { _tag: "HalfOpen", probing: true }]
  }
}

const record = (
  s: Extract<Internal, { _tag: "Closed" }>,
  now: number,
  failed: boolean,
  config: Config
): Internal => {
  const consecutiveFailures = failed ? s.consecutiveFailures + 1 : 0
  if (failed && consecutiveFailures >= config.maxConsecutiveFailures) {
    return { _tag: "Open", openedAt: now }
  }
  const rate = config.rate
  if (rate === undefined) {
    return { ...s, consecutiveFailures }
  }
  const index = Math.floor(now / rate.bucketMs)
  const buckets: Array<Bucket> = []
  let calls = 0
  let failures = 0
  let current: Bucket = { index, calls: 1, failures: failed ? 1 : 0 }
  for (const b of s.buckets) {
    if (b.index === index) {
      current = { index, calls: b.calls + 1, failures: b.failures + (failed ? 1 : 0) }
    } else if (b.index > index - BUCKETS) {
      buckets.push(b)
      calls += b.calls
      failures += b.failures
    }
  }
  buckets.push(current)
  calls += current.calls
  failures += current.failures
  if (failed && calls >= rate.minimumCalls && failures / calls >= rate.threshold) {
    return { _tag: "Open", openedAt: now }
  }
  return { _tag: "Closed", consecutiveFailures, buckets }
}

const complete = (
  s: Internal,
  permit: Permit,
  outcome: Outcome,
  now: number,
  config: Config
): Internal => {
  if (permit === "probe") {
    // Only one probe exists at a time, so a probing HalfOpen state is ours.
    if (s._tag !== "HalfOpen" || !s.probing) return s
    switch (outcome) {
      case "success":
        return closed
      case "failure":
        return { _tag: "Open", openedAt: now }
      case "interrupted":
        return { _tag: "HalfOpen", probing: false }
    }
  }
  // A call admitted while closed only counts if the breaker is still closed:
  // once open, only the probe decides.
  if (s._tag !== "Closed" || outcome === "interrupted") return s
  return record(s, now, outcome === "failure", config)
}

// ---------------------------------------------------------------------------
// constructor
// ---------------------------------------------------------------------------

const defaultIsFailure = (_cause: Cause.Cause<unknown>): boolean => true

/**
 * Creates a circuit breaker. Invalid options (a non-positive
 * `maxConsecutiveFailures` or `minimumCalls`, a `threshold` outside `(0, 1]`)
 * are defects.
 *
 * @since 0.1.0
 */
export const make: (options: Options) => Effect.Effect<CircuitBreaker> = Effect.fnUntraced(
  function*(options: Options) {
    const maxConsecutiveFailures = options.maxConsecutiveFailures ?? 5
    if (!(maxConsecutiveFailures >= 1)) {
      return yield* Effect.dieMessage(`CircuitBreaker ${options.name}: maxConsecutiveFailures must be >= 1`)
    }
    const fr = options.failureRate
    if (fr !== undefined && !(fr.threshold > 0 && fr.threshold <= 1 && fr.minimumCalls >= 1)) {
      return yield* Effect.dieMessage(
        `CircuitBreaker ${options.name}: failureRate needs 0 < threshold <= 1 and minimumCalls >= 1`
      )
    }
    const config: Config = {
      maxConsecutiveFailures,
      resetTimeoutMs: Duration.toMillis(options.resetTimeout ?? Duration.seconds(60)),
      rate: fr === undefined ? undefined : {
        threshold: fr.threshold,
        minimumCalls: fr.minimumCalls,
        bucketMs: Math.max(1, Math.ceil(Duration.toMillis(fr.window) / BUCKETS))
      }
    }
    const name = options.name
    const isFailure = options.isFailure ?? defaultIsFailure
    const onStateChange = options.onStateChange
    const ref = yield* Ref.make<Internal>(closed)

    const notify = (t: Transition | undefined): Effect.Effect<void> => {
      if (t === undefined) return Effect.void
      const log = Effect.logInfo(`circuit breaker ${name}: ${t.from} -> ${t.to}`).pipe(
        Effect.annotateLogs({ breaker: name, from: t.from, to: t.to })
      )
      if (onStateChange === undefined) return log
      return Effect.zipRight(
        log,
        onStateChange(t.from, t.to).pipe(
          Effect.catchAllCause((cause) =>
            Effect.logWarning("circuit breaker onStateChange failed", cause).pipe(
              Effect.annotateLogs({ breaker: name })
            )
          )
        )
      )
    }

    /** Applies `f` atomically and returns its result plus the state change it made. */
    const update = <X>(f: (s: Internal) => readonly [X, Internal]) =>
      Ref.modify(ref, (s): readonly [readonly [X, Transition | undefined], Internal] => {
        const [x, next] = f(s)
        return [[x, transitionOf(s, next)], next]
      })

    const state: Effect.Effect<State> = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.flatMap(
        update((s) => {
          const next = settle(s, now, config)
          return [publicState(next), next] as const
        }),
        ([st, t]) => Effect.as(notify(t), st)
      ))

    const classify = <A, E>(exit: Exit.Exit<A, E>): Outcome => {
      if (Exit.isSuccess(exit)) return "success"
      if (Cause.isInterruptedOnly(exit.cause)) return "interrupted"
      return isFailure(exit.cause) ? "failure" : "success"
    }

    /**
     * Acquires a permit (or fails fast) and runs `self` with it. Called in an
     * uninterruptible region with its `restore`: only `self` and the
     * announcements are interruptible, so the caller always gets the permit
     * back to complete, and a probe slot can never leak.
     */
    const runWithPermit = <A, E, R>(
      self: Effect.Effect<A, E, R>,
      restore: <X, EX, RX>(effect: Effect.Effect<X, EX, RX>) => Effect.Effect<X, EX, RX>
    ): Effect.Effect<{ readonly permit: Permit; readonly exit: Exit.Exit<A, E> }, CircuitOpenError, R> =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const [acquired, opened] = yield* update((s) => acquire(name, s, now, config))
        if (acquired._tag === "Reject") {
          yield* restore(notify(opened))
          return yield* Effect.fail(acquired.error)
        }
        const exit = yield* Effect.exit(restore(Effect.zipRight(notify(opened), self)))
        return { permit: acquired.permit, exit }
      })

    /** Completes a permit with `outcome` and announces the state change it made. */
    const completeWith = (permit: Permit, outcome: Outcome): Effect.Effect<void> =>
      Effect.flatMap(Clock.currentTimeMillis, (end) =>
        Effect.flatMap(
          update((s) => [undefined, complete(s, permit, outcome, end, config)] as const),
          ([, changed]) => notify(changed)
        ))

    const protect = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | CircuitOpenError, R> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const { exit, permit } = yield* runWithPermit(self, restore)
          yield* completeWith(permit, classify(exit))
          return yield* exit
        })
      )

    const protectDeferred = <A, E, R>(
      self: Effect.Effect<A, E, R>
    ): Effect.Effect<readonly [A, Settle], E | CircuitOpenError, R> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const { exit, permit } = yield* runWithPermit(self, restore)
          if (Exit.isFailure(exit)) {
            yield* completeWith(permit, classify(exit))
            return yield* Effect.failCause(exit.cause)
          }
          let settled = false
          const settle: Settle = (verdict) =>
            Effect.suspend(() => {
              if (settled) return Effect.void
              settled = true
              const outcome: Outcome = verdict === "neutral" ? "interrupted" : verdict
              return Effect.uninterruptible(completeWith(permit, outcome))
            })
          return [exit.value, settle] as const
        })
      )

    return { name, state, protect, protectDeferred } satisfies CircuitBreaker
  }
)

/**
 * Pipeable form of {@link CircuitBreaker.protect}:
 * `effect.pipe(withCircuitBreaker(breaker))`.
 *
 * @since 0.1.0
 */
export const withCircuitBreaker =
  (breaker: CircuitBreaker) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | CircuitOpenError, R> =>
    breaker.protect(self)
