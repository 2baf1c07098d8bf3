import { Config, type ConfigError, Context, Layer } from "effect"

/**
 * How long a user's state outlives their last connection, and what it holds
 * of their agent runs (`SESSION_GRACE_MS`, `MAX_RUN_RECORDS`,
 * `RUN_RATE_LIMIT_PER_MIN`, `MAX_RUNS_PER_USER`).
 */
export class SessionSettings extends Context.Tag("switchyard/SessionSettings")<SessionSettings, {
  /** how long a user's state (stream, runs) outlives their last connection */
  readonly sessionGraceMs: number
  /** finished runs remembered per user for the quality reports */
  readonly maxRunRecords: number
  /** agent runs a user may start in any minute; 0: no limit */
  readonly runRateLimitPerMin: number
  /** agent runs a user may have going at once; 0: no limit */
  readonly maxRunsPerUser: number
}>() {
  /** The defaults: a person sends a message every few seconds and a run costs money; a client may batch a few at once. */
  static readonly defaults: SessionSettings["Type"] = {
    sessionGraceMs: 60_000,
    maxRunRecords: 1000,
    runRateLimitPerMin: 60,
    maxRunsPerUser: 10
  }

  /** The settings from the environment. */
  static readonly config: Config.Config<SessionSettings["Type"]> = Config.all({
    sessionGraceMs: Config.withDefault(Config.integer("SESSION_GRACE_MS"), SessionSettings.defaults.sessionGraceMs),
    maxRunRecords: Config.withDefault(Config.integer("MAX_RUN_RECORDS"), SessionSettings.defaults.maxRunRecords),
    runRateLimitPerMin: Config.withDefault(
      Config.integer("RUN_RATE_LIMIT_PER_MIN"),
      SessionSettings.defaults.runRateLimitPerMin
    ),
    maxRunsPerUser: Config.withDefault(Config.integer("MAX_RUNS_PER_USER"), SessionSettings.defaults.maxRunsPerUser)
  })

  /** Settings from the environment. */
  static readonly layer: Layer.Layer<SessionSettings, ConfigError.ConfigError> = Layer.effect(
    SessionSettings,
    SessionSettings.config
  )

  /** The defaults with `overrides` (tests, embedding). */
  static layerWith(overrides: Partial<SessionSettings["Type"]> = {}): Layer.Layer<SessionSettings> {
    return Layer.succeed(SessionSettings, { ...SessionSettings.defaults, ...overrides })
  }
}
