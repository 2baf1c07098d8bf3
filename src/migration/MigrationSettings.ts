import { Config, ConfigError, Context, Either, Layer, Option, Redacted } from "effect"
import * as CommaList from "../protocol/CommaList.js"
import * as RollbackPolicy from "../resilience/RollbackPolicy.js"
import * as Stage from "./Stage.js"

/**
 * Migrating message types (PROTOCOL §8): the legacy backend to take over
 * (`LEGACY_*`) and how every migration starts and is guarded
 * (`WEBSOCKET_MIGRATION_STRATEGY`, `SSOT_ENABLED_MESSAGE_TYPES`, `MIGRATION_*`).
 */
export class MigrationSettings extends Context.Tag("switchyard/MigrationSettings")<MigrationSettings, {
  /** the legacy HTTP backend (may carry credentials: never log it whole); undefined: no takeover */
  readonly legacyBackendUrl: Redacted.Redacted<string> | undefined
  /** the types the legacy backend serves (each gets its own migration entry) */
  readonly legacyTypes: ReadonlyArray<string>
  /** how long one request to the legacy backend may take */
  readonly legacyTimeoutMs: number
  /** retries of a transient legacy backend failure (transport, timeout, 408/429/5xx) */
  readonly legacyRetries: number
  /** the stage every migrating type starts in (`WEBSOCKET_MIGRATION_STRATEGY`) */
  readonly migrationStrategy: Stage.Stage
  /** with `dual_mode`, only these types are in canary (at 100%); undefined: all */
  readonly ssotEnabledMessageTypes: ReadonlyArray<string> | undefined
  /** the canary percentage a type starts with */
  readonly migrationCanaryPercent: number
  /** may legacy serve when next fails under `next_primary`? */
  readonly legacyFallbackEnabled: boolean
  /** roll a type back to `legacy_only` when next does worse than legacy */
  readonly migrationRollbackOnError: boolean
  /** log each routing decision at debug level */
  readonly migrationLoggingEnabled: boolean
  /** the timeout of one call of either implementation */
  readonly migrationHandlerTimeoutMs: number
  /** how long a shadow comparison waits for both sides' runs to finish */
  readonly migrationShadowWaitMs: number
  /** consecutive failures that open an implementation's circuit breaker */
  readonly migrationBreakerFailures: number
  /** how long an open breaker waits before letting a probe through */
  readonly migrationBreakerResetMs: number
  /** the rolling window the rollback rule looks at */
  readonly migrationWindowMs: number
  /** roll back when next's error rate exceeds legacy's by more than this many points */
  readonly migrationRollbackErrorPoints: number
  /** roll back when next's p95 latency exceeds this multiple of legacy's */
  readonly migrationRollbackLatencyRatio: number
  /** calls each side needs in the window before the rollback rule decides */
  readonly migrationRollbackMinSamples: number
  /** how long a call that started an agent run waits for the run's end to be judged by it (stats, breaker, rollback) */
  readonly migrationRunOutcomeWaitMs: number
}>() {
  /** PROTOCOL §8's defaults. */
  static readonly defaults: MigrationSettings["Type"] = {
    legacyBackendUrl: undefined,
    legacyTypes: [
      "user_message",
      "start_agent",
      "agent_request",
      "quality_metrics",
      "quality_validation",
      "quality_report"
    ],
    legacyTimeoutMs: 5_000,
    legacyRetries: 2,
    migrationStrategy: "legacy_only",
    ssotEnabledMessageTypes: undefined,
    migrationCanaryPercent: 10,
    legacyFallbackEnabled: true,
    migrationRollbackOnError: true,
    migrationLoggingEnabled: true,
    migrationHandlerTimeoutMs: 30_000,
    migrationShadowWaitMs: 30_000,
    migrationBreakerFailures: 5,
    migrationBreakerResetMs: 60_000,
    migrationWindowMs: 60_000,
    migrationRollbackErrorPoints: RollbackPolicy.defaultThresholds.maxErrorRateDelta * 100,
    migrationRollbackLatencyRatio: RollbackPolicy.defaultThresholds.maxLatencyRatio,
    migrationRollbackMinSamples: RollbackPolicy.defaultThresholds.minimumSamples,
    migrationRunOutcomeWaitMs: 10 * 60_000
  }

  /** The settings from the environment. */
  static readonly config: Config.Config<MigrationSettings["Type"]> = Config.all({
    legacyBackendUrl: Config.map(
      Config.option(Config.redacted("LEGACY_BACKEND_URL")),
      (url) => Option.getOrUndefined(Option.filter(url, (url) => Redacted.value(url).trim().length > 0))
    ),
    legacyTypes: Config.withDefault(CommaList.config("LEGACY_TYPES"), MigrationSettings.defaults.legacyTypes),
    legacyTimeoutMs: int("LEGACY_TIMEOUT_MS", MigrationSettings.defaults.legacyTimeoutMs),
    legacyRetries: int("LEGACY_RETRIES", MigrationSettings.defaults.legacyRetries),
    migrationStrategy: Config.withDefault(
      stageConfig("WEBSOCKET_MIGRATION_STRATEGY"),
      MigrationSettings.defaults.migrationStrategy
    ),
    ssotEnabledMessageTypes: Config.map(Config.option(CommaList.config("SSOT_ENABLED_MESSAGE_TYPES")), Option.getOrUndefined),
    migrationCanaryPercent: Config.withDefault(
      Config.validate(Config.integer("MIGRATION_CANARY_PERCENT"), {
        message: "MIGRATION_CANARY_PERCENT must be an integer from 0 to 100",
        validation: (n) => n >= 0 && n <= 100
      }),
      MigrationSettings.defaults.migrationCanaryPercent
    ),
    legacyFallbackEnabled: bool("LEGACY_FALLBACK_ENABLED", MigrationSettings.defaults.legacyFallbackEnabled),
    migrationRollbackOnError: bool("MIGRATION_ROLLBACK_ON_ERROR", MigrationSettings.defaults.migrationRollbackOnError),
    migrationLoggingEnabled: bool("MIGRATION_LOGGING_ENABLED", MigrationSettings.defaults.migrationLoggingEnabled),
    migrationHandlerTimeoutMs: int("MIGRATION_HANDLER_TIMEOUT_MS", MigrationSettings.defaults.migrationHandlerTimeoutMs),
    migrationShadowWaitMs: int("MIGRATION_SHADOW_WAIT_MS", MigrationSettings.defaults.migrationShadowWaitMs),
    migrationBreakerFailures: int("MIGRATION_BREAKER_FAILURES", MigrationSettings.defaults.migrationBreakerFailures),
    migrationBreakerResetMs: int("MIGRATION_BREAKER_RESET_MS", MigrationSettings.defaults.migrationBreakerResetMs),
    migrationWindowMs: int("MIGRATION_WINDOW_MS", MigrationSettings.defaults.migrationWindowMs),
    migrationRollbackErrorPoints: Config.withDefault(
      Config.number("MIGRATION_ROLLBACK_ERROR_POINTS"),
      MigrationSettings.defaults.migrationRollbackErrorPoints
    ),
    migrationRollbackLatencyRatio: Config.withDefault(
      Config.number("MIGRATION_ROLLBACK_LATENCY_RATIO"),
      MigrationSettings.defaults.migrationRollbackLatencyRatio
    ),
    migrationRollbackMinSamples: int("MIGRATION_ROLLBACK_MIN_SAMPLES", MigrationSettings.defaults.migrationRollbackMinSamples),
    migrationRunOutcomeWaitMs: int("MIGRATION_RUN_OUTCOME_WAIT_MS", MigrationSettings.defaults.migrationRunOutcomeWaitMs)
  })

  /** Settings from the environment. */
  static readonly layer: Layer.Layer<MigrationSettings, ConfigError.ConfigError> = Layer.effect(
    MigrationSettings,
    MigrationSettings.config
  )

  /** The defaults with `overrides` (tests, embedding). */
  static layerWith(overrides: Partial<MigrationSettings["Type"]> = {}): Layer.Layer<MigrationSettings> {
    return Layer.succeed(MigrationSettings, { ...MigrationSettings.defaults, ...overrides })
  }
}

function int(name: string, fallback: number): Config.Config<number> {
  return Config.withDefault(Config.integer(name), fallback)
}

function bool(name: string, fallback: boolean): Config.Config<boolean> {
  return Config.withDefault(Config.boolean(name), fallback)
}

// a stage name from either column of PROTOCOL §8; anything else stops the service at start
function stageConfig(name: string): Config.Config<Stage.Stage> {
  return Config.mapOrFail(Config.string(name), (value) =>
    Option.match(Stage.parse(value), {
      onNone: () =>
        Either.left(ConfigError.InvalidData([name], `expected one of ${Stage.acceptedNames.join(", ")}, got "${value}"`)),
      onSome: Either.right
    }))
}
