/**
 * Resilience combinators for handlers, usable outside migration too: a
 * per-handler timeout that answers `TIMEOUT`, the classification of failures
 * (a client's bad input is not an outage), and a circuit breaker guard whose
 * open state answers `UNAVAILABLE`. The breaker itself is
 * `src/resilience/CircuitBreaker.ts`.
 *
 * @since 0.1.0
 */
import { Cause, Duration, Effect, Option } from "effect"
import type { ErrorCode } from "../protocol/ErrorCode.js"
import { FrameError } from "../protocol/FrameError.js"
import { type CircuitBreaker, CircuitOpenError } from "./CircuitBreaker.js"

/**
 * Fails with `FrameError` `TIMEOUT` when `self` takes longer than `duration`
 * (and interrupts it).
 *
 * @since 0.1.0
 */
export const withTimeout =
  (duration: Duration.DurationInput, what = "the handler") =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | FrameError, R> =>
    Effect.timeoutFail(self, {
      duration,
      onTimeout: () =>
        new FrameError({
          code: "TIMEOUT",
          message: `${what} did not answer within ${Duration.format(Duration.decode(duration))}`
        })
    })

/** Codes that mean "the request was wrong", not "the implementation is broken". */
const clientCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "INVALID_JSON",
  "INVALID_FRAME",
  "INVALID_MESSAGE",
  "UNKNOWN_TYPE",
  "NOT_FOUND",
  "RATE_LIMITED"
])

/**
 * Is this failure the client's fault (a bad payload, an unknown run)? Such
 * failures go back to the client as they are: they neither trip a breaker,
 * nor count as an implementation's error, nor trigger a fallback.
 *
 * @since 0.1.0
 */
export const isClientError = (error: unknown): boolean => error instanceof FrameError && clientCodes.has(error.code)

/**
 * Does this cause count against the implementation (breaker, error rate)?
 * Every defect and every failure except a client error does; interruption
 * does not.
 *
 * @since 0.1.0
 */
export const isImplementationFailure = (cause: Cause.Cause<unknown>): boolean => {
  if (Cause.isInterruptedOnly(cause)) return false
  if (Cause.isDie(cause)) return true
  const failure = Cause.failureOption(cause)
  return Option.isNone(failure) || !isClientError(failure.value)
}

/**
 * The `UNAVAILABLE` error a client gets when a breaker refused the call and no
 * fallback could serve it.
 *
 * @since 0.1.0
 */
export const unavailable = (error: CircuitOpenError): FrameError =>
  new FrameError({
    code: "UNAVAILABLE",
    message: `temporarily unavailable (${error.message})`,
    details: { breaker: error.breaker, retry_after_ms: error.retryAfterMs }
  })

/**
 * Turns any failure of a guarded call into the `FrameError` a client sees.
 *
 * @since 0.1.0
 */
export const toFrameError = (error: FrameError | CircuitOpenError): FrameError =>
  error instanceof CircuitOpenError ? unavailable(error) : error

/**
 * Runs `self` with a timeout, under `breaker`: a timeout counts as a failure,
 * a client error does not (configure the breaker with
 * `isFailure: isImplementationFailure`), and an open breaker fails fast with
 * `CircuitOpenError` without running `self`.
 *
 * @since 0.1.0
 */
export const guard =
  (options: { readonly breaker: CircuitBreaker; readonly timeout: Duration.DurationInput; readonly what?: string }) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | FrameError | CircuitOpenError, R> =>
    options.breaker.protect(withTimeout(options.timeout, options.what)(self))
