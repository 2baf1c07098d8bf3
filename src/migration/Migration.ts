/**
 * A migrating message type: two implementations of one type, `legacy` and
 * `next`, behind ONE router `Handler`, so the Router stays the one table of
 * types. On every frame the type's stage (held by `MigrationControl`) decides
 * who serves (PROTOCOL §8):
 *
 * - `legacy_only` / `next_only`: that side alone;
 * - `shadow`: legacy serves; next runs too, forked, in an isolated context
 *   with its output captured, and the two are compared in the background;
 * - `canary`: next serves `canary_percent` of users (stable hash), legacy the rest;
 * - `next_primary`: next serves; legacy serves instead when next fails, times
 *   out or its breaker is open (if fallback is enabled).
 *
 * Every call of either side runs with a timeout under that side's circuit
 * breaker, and is recorded in the type's rolling statistics, which drive the
 * automatic rollback.
 *
 * ```ts
 * const quote = Migration.handler({
 *   type: "quote",
 *   legacy: (userId, payload) => oldQuotes.handle(userId, payload), // Promise-based
 *   next: Handler.make("quote", { payload: QuotePayload, handle: quoteEffect })
 * })
 * Switchyard.layer([...BuiltinHandlers, quote])
 * ```
 *
 * @since 0.1.0
 */
import { Cause, Clock, Deferred, Duration, Effect, Exit, FiberMap, Option } from "effect"
import * as Metrics from "../observability/Metrics.js"
import type { ErrorCode } from "../protocol/ErrorCode.js"
import { FrameError } from "../protocol/FrameError.js"
import type * as CircuitBreaker from "../resilience/CircuitBreaker.js"
import type { CircuitOpenError } from "../resilience/CircuitBreaker.js"
import { Runs } from "../agent/Runs.js"
import { CurrentFrame, FrameTicket, withFrame } from "../handlers/FrameContext.js"
import type * as Handler from "../handlers/Handler.js"
import { Conversations } from "../state/Conversations.js"
import { CurrentUser } from "../state/CurrentUser.js"
import { Emitter } from "../state/Emitter.js"
import { inCanary } from "./Canary.js"
import * as Compare from "./Compare.js"
import * as Legacy from "./Legacy.js"
import { MigrationControl, type Service, type TypeState } from "./MigrationControl.js"
import * as Resilience from "../resilience/Resilience.js"
import { RunWatch, startedRun } from "./RunWatch.js"
import { Recorder, runsFinished, sandbox } from "./Shadow.js"
import { Settlement, Tracker } from "./Settlement.js"
import type { Side, Stage } from "./Stage.js"

/**
 * A handler that is a migrating type; `migration` names its two sides.
 *
 * @since 0.1.0
 */
export interface MigrationHandler<R> extends Handler.Handler<R> {
  readonly migration: {
    readonly legacy: Handler.AnyHandler
    readonly next: Handler.AnyHandler
  }
}

/**
 * Is this handler a migrating type?
 *
 * @since 0.1.0
 */
export const isMigration = (handler: Handler.AnyHandler): handler is MigrationHandler<unknown> =>
  "migration" in handler

/**
 * The migrating types among `handlers` (what `MigrationControl` registers).
 *
 * @since 0.1.0
 */
export const typesOf = (handlers: ReadonlyArray<Handler.AnyHandler>): ReadonlyArray<string> =>
  handlers.filter(isMigration).map((handler) => handler.type)

/**
 * How to declare a migrating type.
 *
 * @since 0.1.0
 */
export interface Options<RL, RN> {
  /** the one message type it serves (declare an alias as a migration of its own) */
  readonly type: string
  /** the existing implementation: a Handler (e.g. `HttpLegacy.handler`) or a Promise-based function */
  readonly legacy: Handler.Handler<RL> | Legacy.PromiseHandler
  /** the new Effect implementation */
  readonly next: Handler.Handler<RN>
  /** how shadow results are compared (default: `Compare.structural`) */
  readonly compare?: Compare.Comparator
}

/** What a migrating type may answer besides its sides' own codes: a side failed, took too long, or its breaker is open. */
const MIGRATION_ERRORS: ReadonlyArray<ErrorCode> = ["HANDLER_FAILED", "TIMEOUT", "UNAVAILABLE"]

/** The most events of one side kept with a mismatch (the admin API shows them). */
const MAX_KEPT_EVENTS = 50

/** What the wrapper itself reads of each frame's services (besides what its sides use). */
type Used = CurrentUser | Runs | Conversations | Emitter | Legacy.Uses

type Role = "serve" | "shadow" | "fallback"

type CallError = FrameError | CircuitOpenError


/** How a run's end judges the call that started it. */
const runVerdict = (status: string | undefined): { readonly breaker: CircuitBreaker.Verdict; readonly outcome: string } => {
  switch (status) {
    case "completed":
      return { breaker: "success", outcome: "ok" }
    case "failed":
      return { breaker: "failure", outcome: "run_failed" }
    case "cancelled":
      // the user stopped it, or the session ended: nothing said about the implementation
      return { breaker: "neutral", outcome: "run_cancelled" }
    default:
      return { breaker: "neutral", outcome: "run_unobserved" }
  }
}

/** The outcome of one call, for logs and metrics. */
const outcomeOf = <A>(exit: Exit.Exit<A, CallError>): string => {
  if (Exit.isSuccess(exit)) return "ok"
  if (Cause.isInterruptedOnly(exit.cause)) return "interrupted"
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) return "defect"
  const error = failure.value
  if (!(error instanceof FrameError)) return "breaker_open"
  if (Resilience.isClientError(error)) return "client_error"
  return error.code === "TIMEOUT" ? "timeout" : "error"
}

/** What a side did, as a comparison sees it; `undefined` when it was interrupted. */
const observe = (
  exit: Exit.Exit<object, CallError>,
  events: ReadonlyArray<Compare.Observed["events"][number]>,
  settled: boolean
): Compare.Observed | undefined => {
  const kept = events.slice(0, MAX_KEPT_EVENTS)
  if (Exit.isSuccess(exit)) return { _tag: "Success", result: exit.value, events: kept, settled }
  if (Cause.isInterruptedOnly(exit.cause)) return undefined
  const failure = Cause.failureOption(exit.cause)
  const error = Option.isSome(failure)
    ? Resilience.toFrameError(failure.value)
    : new FrameError({ code: "INTERNAL", message: "the handler died" })
  return { _tag: "Failure", code: error.code, message: error.message, events: kept, settled }
}

/**
 * Waits (at most `waitMs`) until a side's work is done: its background work
 * (e.g. legacy events delivered after the ack), its agent runs (each ended
 * with `agent_completed`) and `extra`. Tells whether it got there.
 */
const settle = (
  exit: Exit.Exit<object, CallError>,
  recorder: Recorder,
  work: Tracker,
  extra: Effect.Effect<void>,
  waitMs: number
): Effect.Effect<boolean> => {
  const result = Exit.isSuccess(exit) ? exit.value : undefined
  return Effect.all([work.done, recorder.waitUntil((events) => runsFinished(result, events)), extra], {
    concurrency: "unbounded",
    discard: true
  }).pipe(
    Effect.timeout(Duration.millis(waitMs)),
    Effect.match({ onFailure: () => false, onSuccess: () => true })
  )
}

/**
 * Declares a migrating type. Its requirements are both sides' plus
 * `MigrationControl` (which `Switchyard.layer` provides).
 *
 * @since 0.1.0
 */
export const handler = <RL = never, RN = never>(
  options: Options<RL, RN>
): MigrationHandler<RL | RN | MigrationControl | Used> => {
  const type = options.type
  const legacy: Handler.Handler<RL | Legacy.Uses> = typeof options.legacy === "function"
    ? Legacy.fromPromise(type, options.legacy)
    : options.legacy
  const next = options.next
  const compare = options.compare ?? Compare.structural
  const sides: Record<Side, Handler.AnyHandler> = { legacy, next }

  type R = RL | RN | Used

  /** Feeds one judged call to the statistics (and the rollback rule), the metrics and the log. */
  const report = (
    control: Service,
    state: TypeState,
    stage: Stage,
    side: Side,
    role: Role,
    outcome: string,
    latencyMs: number,
    ok: boolean
  ): Effect.Effect<void> =>
    Effect.gen(function*() {
      yield* control.record(state, side, latencyMs, ok)
      Metrics.observeHandler(type, side, latencyMs / 1000)
      yield* Metrics.increment(Metrics.migrationCalls, { type, side, role, outcome })
      if (control.settings.loggingEnabled) {
        yield* Effect.logDebug("migration routing decision").pipe(
          Effect.annotateLogs({ type, stage, side, role, outcome, latency_ms: Math.round(latencyMs * 1000) / 1000 })
        )
      }
    })

  /**
   * Judges a call that started an agent run once the run has ended (in the
   * background: the ack has gone). A local run always ends with an
   * `agent_completed` through the call's emitter; a legacy backend's run
   * only if its events said so, once they are delivered. Unobserved within
   * `runOutcomeWaitMs` (or at shutdown) the call counts as the ack said.
   */
  const judgeRun = (
    control: Service,
    state: TypeState,
    stage: Stage,
    side: Side,
    role: Role,
    latencyMs: number,
    ended: Effect.Effect<string | undefined>,
    settle: CircuitBreaker.Settle
  ) =>
    control.fork(
      ended.pipe(
        Effect.timeoutTo({
          duration: Duration.millis(control.settings.runOutcomeWaitMs),
          onTimeout: () => undefined,
          onSuccess: (status) => status
        }),
        Effect.flatMap((status) => {
          const verdict = runVerdict(status)
          return Effect.zipRight(
            settle(verdict.breaker),
            report(control, state, stage, side, role, verdict.outcome, latencyMs, verdict.breaker !== "failure")
          )
        }),
        Effect.ensuring(settle("neutral"))
      )
    )

  /**
   * One call of one side: timeout, breaker, statistics, log line, counter.
   * A call that starts an agent run is judged by how the run ends (PROTOCOL
   * §8), with its latency the time to the ack: what the user waited for,
   * comparable between the sides (a run's length is the agent's, not the
   * router's).
   */
  const call = (
    control: Service,
    state: TypeState,
    stage: Stage,
    side: Side,
    role: Role,
    payload: unknown
  ): Effect.Effect<object, CallError, R> => {
    const settings = control.settings
    const watch = new RunWatch()
    return Effect.gen(function*() {
      const emitter = yield* Emitter
      const runs = yield* Runs
      const outer = yield* Effect.serviceOption(Settlement)
      const work = new Tracker(Option.getOrUndefined(outer))
      const run = (sides[side].run(payload) as Effect.Effect<object, FrameError, R>).pipe(
        Effect.provideService(Emitter, watch.emitter(emitter)),
        Effect.provideService(Settlement, work)
      )
      const start = yield* Clock.currentTimeNanos
      const elapsedMs = Effect.map(Clock.currentTimeNanos, (end) => Number(end - start) / 1_000_000)
      const exit = yield* Effect.exit(
        state.breakers[side].protectDeferred(
          Resilience.withTimeout(Duration.millis(settings.handlerTimeoutMs), `${type} (${side})`)(run)
        )
      )
      const latencyMs = yield* elapsedMs
      if (Exit.isFailure(exit)) {
        const outcome = outcomeOf(exit)
        if (outcome !== "interrupted") {
          yield* report(control, state, stage, side, role, outcome, latencyMs, !Resilience.isImplementationFailure(exit.cause))
        }
        return yield* Effect.failCause(exit.cause)
      }
      const [result, settle] = exit.value
      const runId = startedRun(result)
      if (runId === undefined) {
        yield* settle("success")
        yield* report(control, state, stage, side, role, "ok", latencyMs, true)
        return result
      }
      // a run of this node ends with its agent_completed; a backend's run is known once its events are delivered
      const ended = runs.get(runId) !== undefined
        ? watch.end(runId)
        : Effect.zipRight(work.done, Effect.sync(() => watch.seen(runId)))
      yield* judgeRun(control, state, stage, side, role, latencyMs, ended, settle)
      return result
    })
  }

  /** A side serving the user: its failures become the client's `FrameError`. */
  const serve = (control: Service, state: TypeState, stage: Stage, side: Side, role: Role, payload: unknown) =>
    Effect.mapError(call(control, state, stage, side, role, payload), Resilience.toFrameError)

  const nextPrimary = (control: Service, state: TypeState, payload: unknown) =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(call(control, state, "next_primary", "next", "serve", payload))
      if (Exit.isSuccess(exit)) return exit.value
      const cause = exit.cause
      // a bad request is answered as is; legacy would only say the same thing again
      const fallBack = !Cause.isInterruptedOnly(cause) && Resilience.isImplementationFailure(cause) &&
        control.settings.fallbackEnabled
      if (!fallBack) return yield* Effect.failCause(Cause.map(cause, Resilience.toFrameError))
      yield* control.recordFallback(state)
      return yield* serve(control, state, "next_primary", "legacy", "fallback", payload)
    })

  const shadow = (control: Service, state: TypeState, payload: unknown) =>
    Effect.gen(function*() {
      const settings = control.settings
      if (state.shadowInFlight >= settings.maxShadowInFlight) {
        // shed the shadow, never the user's frame
        state.shadowSkipped++
        return yield* serve(control, state, "shadow", "legacy", "serve", payload)
      }
      const user = yield* CurrentUser
      const conversations = yield* Conversations
      const frame = yield* CurrentFrame
      const emitter = yield* Emitter
      const servingRecorder = new Recorder()
      const servingWork = new Tracker()
      const servingExit = yield* Deferred.make<Exit.Exit<object, CallError>>()

      const runShadow = Effect.scoped(Effect.gen(function*() {
        const fibers = yield* FiberMap.make<string>()
        const recorder = new Recorder()
        const work = new Tracker()
        // the shadow has no reply to wait for: whatever it starts may emit at once (into the recorder)
        const ticket = FrameTicket.answered(frame.id)
        const exit = yield* Effect.exit(
          call(control, state, "shadow", "next", "shadow", payload).pipe(
            Effect.provide(sandbox(user.userId, conversations.options, fibers)),
            Effect.provideService(Emitter, recorder.emitter()),
            withFrame(ticket),
            Effect.provideService(Settlement, work)
          )
        )
        const settled = yield* settle(exit, recorder, work, Effect.ignore(FiberMap.awaitEmpty(fibers)), settings.shadowWaitMs)
        recorder.close()
        // closing this scope interrupts whatever the shadow still runs
        return observe(exit, recorder.events, settled)
      }))

      const observeServing = Effect.gen(function*() {
        const exit = yield* Deferred.await(servingExit)
        const settled = yield* settle(exit, servingRecorder, servingWork, Effect.void, settings.shadowWaitMs)
        servingRecorder.close()
        return observe(exit, servingRecorder.events, settled)
      })

      const comparison = Effect.gen(function*() {
        const [legacyObserved, nextObserved] = yield* Effect.all([observeServing, runShadow], {
          concurrency: "unbounded"
        })
        if (legacyObserved === undefined || nextObserved === undefined) return
        const verdict = compare(legacyObserved, nextObserved)
        yield* control.recordComparison(
          state,
          verdict.equal ? undefined : {
            user_id: user.userId,
            frame_id: frame.id ?? null,
            difference: verdict.difference,
            legacy: legacyObserved,
            next: nextObserved
          }
        )
        if (!verdict.equal && settings.loggingEnabled) {
          yield* Effect.logDebug("shadow mismatch").pipe(
            Effect.annotateLogs({ type, difference: verdict.difference })
          )
        }
      }).pipe(
        Effect.catchAllCause((cause) => Effect.logWarning("shadow comparison failed", cause)),
        Effect.ensuring(Effect.sync(() => state.shadowInFlight--))
      )

      state.shadowInFlight++
      // forked first, so the shadow runs alongside legacy and never delays the reply
      yield* control.fork(comparison)
      return yield* serve(control, state, "shadow", "legacy", "serve", payload).pipe(
        Effect.provideService(Emitter, servingRecorder.emitter(emitter)),
        Effect.provideService(Settlement, servingWork),
        Effect.onExit((exit) => Deferred.succeed(servingExit, Exit.mapError(exit, (e): CallError => e)))
      )
    })

  const run = (payload: unknown): Effect.Effect<object, FrameError, R | MigrationControl> =>
    Effect.gen(function*() {
      const control = yield* MigrationControl
      const state = yield* control.state(type)
      const stage = state.stage
      switch (stage) {
        case "legacy_only":
          return yield* serve(control, state, stage, "legacy", "serve", payload)
        case "next_only":
          return yield* serve(control, state, stage, "next", "serve", payload)
        case "canary": {
          const user = yield* CurrentUser
          const side: Side = inCanary(user.userId, state.canaryPercent) ? "next" : "legacy"
          return yield* serve(control, state, stage, side, "serve", payload)
        }
        case "next_primary":
          return yield* nextPrimary(control, state, payload)
        case "shadow":
          return yield* shadow(control, state, payload)
      }
    })

  return {
    type,
    aliases: [],
    reply: next.reply,
    batchable: next.batchable && legacy.batchable,
    // each call of a side is timed as `legacy` / `next` (`report`): the frame path does not time it again
    timesItself: true,
    // the contract is next's, the side taking over (a legacy side's result is passed on as it is)
    payload: next.payload,
    success: next.success,
    errors: Array.from(new Set([...next.errors, ...legacy.errors, ...MIGRATION_ERRORS])),
    migration: { legacy, next },
    run
  }
}
