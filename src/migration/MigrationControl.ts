/**
 * The migration state of the service (PROTOCOL §8): for each migrating
 * message type its stage and canary percentage, the circuit breaker and the
 * rolling statistics of each implementation, fallback and shadow counters,
 * the latest shadow mismatches, and the automatic rollback. The admin API
 * reads and changes it; migrating handlers (`Migration.ts`) consult and feed it.
 *
 * It is a service provided by `Switchyard`'s layer, so an embedding app or a
 * test can build it on its own (`layerWith`) and watch or steer it. Stages
 * live in the `StageStore`: a change made on one node (by hand or by a
 * rollback) is stored, and every other node applies it as it is reported.
 *
 * @since 0.1.0
 */
import { Clock, Context, Effect, type Fiber, FiberSet, Layer, Option, Queue } from "effect"
import * as Metrics from "../observability/Metrics.js"
import * as CircuitBreaker from "../resilience/CircuitBreaker.js"
import * as RollbackPolicy from "../resilience/RollbackPolicy.js"
import { RollingStats } from "../resilience/RollingStats.js"
import type { Observed } from "./Compare.js"
import { isImplementationFailure } from "../resilience/Resilience.js"
import { MigrationSettings } from "./MigrationSettings.js"
import * as MemoryStageStore from "../store/MemoryStageStore.js"
import { StageStore, type StoredStage } from "../store/StageStore.js"
import { nextServes, parse as parseStage, type Side, type Stage } from "./Stage.js"

/**
 * How migrating types behave, from the environment (`settingsFrom`) or given
 * directly (tests, embedding).
 *
 * @since 0.1.0
 */
export interface ControlSettings {
  /** the stage a type starts in */
  readonly defaultStage: Stage
  /** with a `canary` default: only these types are in canary, at 100% (the rest `legacy_only`) */
  readonly ssotEnabledTypes: ReadonlyArray<string> | undefined
  /** the canary percentage a type starts with */
  readonly canaryPercent: number
  /** may legacy serve when next fails under `next_primary`? */
  readonly fallbackEnabled: boolean
  /** roll back automatically when next does worse than legacy */
  readonly rollbackOnError: boolean
  /** log each routing decision at debug level */
  readonly loggingEnabled: boolean
  /** timeout of one call of either implementation */
  readonly handlerTimeoutMs: number
  /** how long a shadow comparison waits for both sides' work to finish */
  readonly shadowWaitMs: number
  /** shadow comparisons in flight per type at most; beyond, frames are served without a shadow */
  readonly maxShadowInFlight: number
  /** mismatches kept per type for inspection */
  readonly maxMismatches: number
  /** consecutive failures that open a breaker */
  readonly breakerFailures: number
  /** how long an open breaker waits before a probe */
  readonly breakerResetMs: number
  /** the rolling window of the rollback rule */
  readonly windowMs: number
  /** the rollback thresholds (`minimumSamples` included) */
  readonly rollback: RollbackPolicy.Thresholds
  /** how long a call that started an agent run waits for the run's end, which decides its outcome */
  readonly runOutcomeWaitMs: number
}

/**
 * The control settings of the migration settings (`MigrationSettings`, where
 * the defaults are written); what the environment does not set has its own
 * default here.
 *
 * @since 0.1.0
 */
export const settingsFrom = (settings: MigrationSettings["Type"]): ControlSettings => ({
  defaultStage: settings.migrationStrategy,
  ssotEnabledTypes: settings.ssotEnabledMessageTypes,
  canaryPercent: settings.migrationCanaryPercent,
  fallbackEnabled: settings.legacyFallbackEnabled,
  rollbackOnError: settings.migrationRollbackOnError,
  loggingEnabled: settings.migrationLoggingEnabled,
  handlerTimeoutMs: settings.migrationHandlerTimeoutMs,
  shadowWaitMs: settings.migrationShadowWaitMs,
  maxShadowInFlight: 256,
  maxMismatches: 20,
  breakerFailures: settings.migrationBreakerFailures,
  breakerResetMs: settings.migrationBreakerResetMs,
  windowMs: settings.migrationWindowMs,
  runOutcomeWaitMs: settings.migrationRunOutcomeWaitMs,
  rollback: {
    ...RollbackPolicy.defaultThresholds,
    maxErrorRateDelta: settings.migrationRollbackErrorPoints / 100,
    maxLatencyRatio: settings.migrationRollbackLatencyRatio,
    minimumSamples: settings.migrationRollbackMinSamples
  }
})

/**
 * PROTOCOL §8's defaults.
 *
 * @since 0.1.0
 */
export const defaultSettings: ControlSettings = settingsFrom(MigrationSettings.defaults)

/**
 * One implementation's statistics in the admin API.
 *
 * @since 0.1.0
 */
export interface SideStats {
  readonly count: number
  readonly errors: number
  readonly p50_ms: number
  readonly p95_ms: number
}

/**
 * One type's entry in `GET /admin/migrations` (PROTOCOL §8).
 *
 * @since 0.1.0
 */
export interface Entry {
  readonly stage: Stage
  readonly canary_percent: number
  readonly breaker: CircuitBreaker.State
  readonly stats: {
    readonly legacy: SideStats
    readonly next: SideStats
    readonly fallbacks: number
    readonly shadow_mismatches: number
  }
  readonly rollback?: { readonly at: string; readonly reason: string }
}

/**
 * A shadow comparison that found a difference, kept for inspection.
 *
 * @since 0.1.0
 */
export interface Mismatch {
  readonly at: string
  readonly user_id: string
  /** the client's message id, `null` when the frame had none */
  readonly frame_id: string | null
  readonly difference: string
  readonly legacy: Observed
  readonly next: Observed
}

/**
 * `GET /admin/migrations/:type`: the entry plus what an operator digs into.
 *
 * @since 0.1.0
 */
export interface Details extends Entry {
  readonly breakers: { readonly legacy: CircuitBreaker.State; readonly next: CircuitBreaker.State }
  readonly shadow: {
    readonly compared: number
    readonly in_flight: number
    /** frames served without a shadow because too many comparisons were in flight */
    readonly skipped: number
    /** the latest mismatches, oldest first */
    readonly recent_mismatches: ReadonlyArray<Mismatch>
  }
}

/**
 * The live state of one migrating type. Mutable on purpose: it changes on
 * every frame of the type, synchronously (JavaScript runs one fiber at a time).
 *
 * @since 0.1.0
 */
export class TypeState {
  stage: Stage
  canaryPercent: number
  fallbacks = 0
  shadowCompared = 0
  shadowMismatches = 0
  shadowInFlight = 0
  shadowSkipped = 0
  readonly mismatches: Array<Mismatch> = []
  rollback: { readonly at: string; readonly reason: string } | undefined = undefined
  /** since the service started: what the admin API reports */
  readonly totals: Record<Side, RollingStats>
  /** since the last stage change: what the rollback rule judges (a new stage starts with a clean slate) */
  window: Record<Side, RollingStats>

  constructor(
    readonly type: string,
    initial: { readonly stage: Stage; readonly canaryPercent: number },
    readonly breakers: Record<Side, CircuitBreaker.CircuitBreaker>,
    private readonly windowMs: number
  ) {
    this.stage = initial.stage
    this.canaryPercent = initial.canaryPercent
    this.totals = { legacy: new RollingStats({ window: windowMs }), next: new RollingStats({ window: windowMs }) }
    this.window = this.freshWindow()
  }

  /** New rolling windows for both sides. */
  freshWindow(): Record<Side, RollingStats> {
    return { legacy: new RollingStats({ window: this.windowMs }), next: new RollingStats({ window: this.windowMs }) }
  }
}

/**
 * The migration control service.
 *
 * @since 0.1.0
 */
export interface Service {
  readonly settings: ControlSettings
  /** The state of `type`, registered on first use. */
  readonly state: (type: string) => Effect.Effect<TypeState>
  /** Is `type` a migrating type (two implementations)? */
  readonly has: (type: string) => boolean
  /** Every migrating type's entry. */
  readonly entries: Effect.Effect<Record<string, Entry>>
  /** One type's entry. */
  readonly entry: (type: string) => Effect.Effect<Option.Option<Entry>>
  /** One type's entry with breakers and shadow details. */
  readonly details: (type: string) => Effect.Effect<Option.Option<Details>>
  /** Moves `type` to `stage` (and sets its canary percentage); none when `type` does not migrate. */
  readonly setStage: (type: string, stage: Stage, canaryPercent?: number) => Effect.Effect<Option.Option<Entry>>
  /** Records one call of an implementation, then applies the rollback rule (while next serves users). */
  readonly record: (state: TypeState, side: Side, latencyMs: number, ok: boolean) => Effect.Effect<void>
  /** Counts a fallback from next to legacy. */
  readonly recordFallback: (state: TypeState) => Effect.Effect<void>
  /** Counts a shadow comparison, keeping it when it is a mismatch. */
  readonly recordComparison: (state: TypeState, mismatch: Omit<Mismatch, "at"> | undefined) => Effect.Effect<void>
  /** Forks background work (shadow runs, comparisons) that the service interrupts when it stops. */
  readonly fork: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<Fiber.RuntimeFiber<A, E>, never, R>
}

/**
 * The migration state, provided by `Switchyard`'s layer.
 *
 * @since 0.1.0
 */
export class MigrationControl extends Context.Tag("switchyard/MigrationControl")<MigrationControl, Service>() {
  /** From the service's settings, with `types` registered up front (so the admin API lists them). */
  static layer(types: ReadonlyArray<string>): Layer.Layer<MigrationControl, never, MigrationSettings | StageStore> {
    return Layer.scoped(MigrationControl, Effect.flatMap(MigrationSettings, (settings) => make(settingsFrom(settings), types)))
  }

  /** From explicit settings (tests, embedding). */
  static layerWith(
    settings: Partial<ControlSettings> = {},
    types: ReadonlyArray<string> = []
  ): Layer.Layer<MigrationControl> {
    return Layer.scoped(MigrationControl, make({ ...defaultSettings, ...settings }, types)).pipe(
      Layer.provide(MemoryStageStore.layer)
    )
  }
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000

const sideStats = (stats: RollingStats): SideStats => {
  const s = stats.snapshot()
  return { count: s.count, errors: s.errors, p50_ms: round(s.p50_ms), p95_ms: round(s.p95_ms) }
}

const severity: Record<CircuitBreaker.State, number> = { closed: 0, half_open: 1, open: 2 }

/**
 * The breaker an operator needs to see for the type: the one of the
 * implementation that serves first in the current stage (in canary, where
 * both serve, the worse of the two).
 */
const servingBreaker = (
  stage: Stage,
  legacy: CircuitBreaker.State,
  next: CircuitBreaker.State
): CircuitBreaker.State => {
  switch (stage) {
    case "legacy_only":
    case "shadow":
      return legacy
    case "next_primary":
    case "next_only":
      return next
    case "canary":
      return severity[legacy] >= severity[next] ? legacy : next
  }
}

/** The initial stage of a type, from `WEBSOCKET_MIGRATION_STRATEGY` and `SSOT_ENABLED_MESSAGE_TYPES`. */
const initialStage = (settings: ControlSettings, type: string): { stage: Stage; canaryPercent: number } => {
  if (settings.defaultStage === "canary" && settings.ssotEnabledTypes !== undefined) {
    return settings.ssotEnabledTypes.includes(type)
      ? { stage: "canary", canaryPercent: 100 }
      : { stage: "legacy_only", canaryPercent: settings.canaryPercent }
  }
  return { stage: settings.defaultStage, canaryPercent: settings.canaryPercent }
}

/** What the stage store keeps of a type's state. */
const storedOf = (state: TypeState): StoredStage => ({
  stage: state.stage,
  canaryPercent: state.canaryPercent,
  rollback: state.rollback
})

/**
 * Builds the service; its background fibers (and its subscription to the
 * stage store's changes) end with its Scope.
 *
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(settings: ControlSettings, types: ReadonlyArray<string>) {
  const background = yield* FiberSet.make<unknown, unknown>()
  const states = new Map<string, TypeState>()
  const store = yield* StageStore
  // subscribed before anything is read, so that no change made meanwhile is missed
  const changes = yield* store.changes

  const breaker = (type: string, side: Side) =>
    CircuitBreaker.make({
      name: `${type}/${side}`,
      maxConsecutiveFailures: settings.breakerFailures,
      resetTimeout: settings.breakerResetMs,
      isFailure: isImplementationFailure,
      onStateChange: (_from, to) =>
        Metrics.increment(Metrics.breakerTransitions, { breaker: `${type}/${side}`, to })
    })

  const register = (type: string): Effect.Effect<TypeState> =>
    Effect.gen(function*() {
      const existing = states.get(type)
      if (existing !== undefined) return existing
      const breakers = { legacy: yield* breaker(type, "legacy"), next: yield* breaker(type, "next") }
      // another fiber may have registered it while the breakers were made
      const stored = yield* store.get(type)
      const raced = states.get(type)
      if (raced !== undefined) return raced
      const state = new TypeState(type, initialStage(settings, type), breakers, settings.windowMs)
      // a stage another node set (or this one before a restart) governs over the settings' default
      if (stored !== undefined) adopt(state, stored)
      states.set(type, state)
      return state
    })

  const entryOf = (state: TypeState): Effect.Effect<Entry> =>
    Effect.gen(function*() {
      const legacy = yield* state.breakers.legacy.state
      const next = yield* state.breakers.next.state
      const entry: Entry = {
        stage: state.stage,
        canary_percent: state.canaryPercent,
        breaker: servingBreaker(state.stage, legacy, next),
        stats: {
          legacy: sideStats(state.totals.legacy),
          next: sideStats(state.totals.next),
          fallbacks: state.fallbacks,
          shadow_mismatches: state.shadowMismatches
        }
      }
      return state.rollback === undefined ? entry : { ...entry, rollback: state.rollback }
    })

  const detailsOf = (state: TypeState): Effect.Effect<Details> =>
    Effect.gen(function*() {
      const entry = yield* entryOf(state)
      return {
        ...entry,
        breakers: { legacy: yield* state.breakers.legacy.state, next: yield* state.breakers.next.state },
        shadow: {
          compared: state.shadowCompared,
          in_flight: state.shadowInFlight,
          skipped: state.shadowSkipped,
          recent_mismatches: state.mismatches.slice()
        }
      }
    })

  const changeStage = (state: TypeState, stage: Stage): void => {
    state.stage = stage
    state.window = state.freshWindow()
  }

  // takes on a stored setting; an unknown stage name (a newer node's) leaves the stage as it is
  function adopt(state: TypeState, stored: StoredStage): void {
    const stage = parseStage(stored.stage)
    if (Option.isSome(stage) && stage.value !== state.stage) changeStage(state, stage.value)
    state.canaryPercent = stored.canaryPercent
    state.rollback = stored.rollback
  }

  const maybeRollBack = (state: TypeState): Effect.Effect<void> =>
    Effect.gen(function*() {
      if (!settings.rollbackOnError || !nextServes(state.stage)) return
      const now = yield* Clock.currentTimeMillis
      const decision = RollbackPolicy.decide(
        { legacy: state.window.legacy.window(now), next: state.window.next.window(now) },
        settings.rollback
      )
      if (Option.isNone(decision)) return
      const from = state.stage
      const reason = decision.value.reason
      changeStage(state, "legacy_only")
      state.rollback = { at: new Date(now).toISOString(), reason }
      yield* store.set(state.type, storedOf(state))
      yield* Metrics.increment(Metrics.migrationRollbacks, { type: state.type })
      yield* Effect.logWarning(`migration of "${state.type}" rolled back from ${from} to legacy_only: ${reason}`).pipe(
        Effect.annotateLogs({ type: state.type, from, to: "legacy_only", reason })
      )
    })

  for (const type of types) yield* register(type)

  // another node changed a stage: what is stored now governs (read again, so that two nodes
  // changing one type at once end alike, with the value stored last)
  yield* FiberSet.run(
    background,
    Effect.forever(Effect.flatMap(Queue.take(changes), ({ type }) => {
      const state = states.get(type)
      if (state === undefined) return Effect.void
      return Effect.flatMap(store.get(type), (stored) => {
        if (stored === undefined) return Effect.void
        const from = state.stage
        adopt(state, stored)
        return Effect.logInfo(`migration of "${type}": ${from} -> ${state.stage} (set on another node)`).pipe(
          Effect.annotateLogs({ type, from, to: state.stage, canary_percent: state.canaryPercent })
        )
      })
    }))
  )

  const service: Service = {
    settings,
    state: register,
    has: (type) => states.has(type),
    entries: Effect.gen(function*() {
      const out: Record<string, Entry> = {}
      for (const [type, state] of states) out[type] = yield* entryOf(state)
      return out
    }),
    entry: (type) => {
      const state = states.get(type)
      return state === undefined ? Effect.succeedNone : Effect.asSome(entryOf(state))
    },
    details: (type) => {
      const state = states.get(type)
      return state === undefined ? Effect.succeedNone : Effect.asSome(detailsOf(state))
    },
    setStage: (type, stage, canaryPercent) =>
      Effect.suspend(() => {
        const state = states.get(type)
        if (state === undefined) return Effect.succeedNone
        const from = state.stage
        const fromPercent = state.canaryPercent
        if (stage !== from) changeStage(state, stage)
        if (canaryPercent !== undefined) state.canaryPercent = canaryPercent
        return store.set(type, storedOf(state)).pipe(Effect.zipRight(Effect.logInfo(`migration of "${type}": ${from} -> ${stage}`).pipe(
          Effect.annotateLogs({ type, from, to: stage, canary_percent: state.canaryPercent, from_percent: fromPercent })
        )), Effect.zipRight(Effect.asSome(entryOf(state))))
      }),
    record: (state, side, latencyMs, ok) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        state.totals[side].record(latencyMs, ok, now)
        state.window[side].record(latencyMs, ok, now)
        // either side's sample may complete the minimum the rule needs (fallbacks feed legacy's)
        return maybeRollBack(state)
      }),
    recordFallback: (state) =>
      Effect.suspend(() => {
        state.fallbacks++
        return Metrics.increment(Metrics.migrationFallbacks, { type: state.type })
      }),
    recordComparison: (state, mismatch) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        state.shadowCompared++
        if (mismatch === undefined) return Effect.void
        state.shadowMismatches++
        state.mismatches.push({ at: new Date(now).toISOString(), ...mismatch })
        while (state.mismatches.length > settings.maxMismatches) state.mismatches.shift()
        return Metrics.increment(Metrics.shadowMismatches, { type: state.type })
      }),
    fork: (effect) => FiberSet.run(background, effect)
  }
  return service
})
