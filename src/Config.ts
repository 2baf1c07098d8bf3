import { Config, Context, Effect, Layer, Option, Redacted } from "effect"

/**
 * Every setting of the service, read once from the environment through
 * effect's `Config` (README has the table). Tests build it directly with
 * `SwitchyardConfig.make(...)` / `layerWith`.
 */
export interface Settings {
  readonly port: number
  readonly host: string
  readonly production: boolean
  /** undefined: development mode with the documented development secret */
  readonly jwtSecret: Redacted.Redacted<string> | undefined
  readonly nodeId: string
  readonly maxMessageBytes: number
  readonly sessionGraceMs: number
  readonly heartbeatMs: number
  readonly drainTimeoutMs: number
  readonly resumeWindowMs: number
  readonly maxBufferedBytes: number
  readonly maxBufferedFrames: number
  readonly maxInboxFrames: number
  readonly historyMinEvents: number
  readonly historyMinAgeMs: number
  readonly historyMaxEvents: number
  readonly dedupeWindowMs: number
  readonly dedupeMinEntries: number
  readonly dedupeMaxEntries: number
  readonly agentStepMs: number
  readonly maxRunRecords: number
}

/** The defaults of every setting (PROTOCOL names the public ones). */
export const defaults: Settings = {
  port: 8080,
  host: "0.0.0.0",
  production: false,
  jwtSecret: undefined,
  nodeId: "node-1",
  maxMessageBytes: 1024 * 1024,
  sessionGraceMs: 60_000,
  heartbeatMs: 30_000,
  drainTimeoutMs: 10_000,
  resumeWindowMs: 500,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxBufferedFrames: 4096,
  maxInboxFrames: 1024,
  historyMinEvents: 1000,
  historyMinAgeMs: 10 * 60_000,
  historyMaxEvents: 10_000,
  dedupeWindowMs: 10 * 60_000,
  dedupeMinEntries: 10_000,
  dedupeMaxEntries: 100_000,
  agentStepMs: 20,
  maxRunRecords: 1000
}

/** The settings of this service instance. */
export class SwitchyardConfig extends Context.Tag("switchyard/Config")<SwitchyardConfig, Settings>() {
  /** Settings from `overrides` on top of the defaults (tests, embedding). */
  static layerWith(overrides: Partial<Settings> = {}): Layer.Layer<SwitchyardConfig> {
    return Layer.succeed(SwitchyardConfig, { ...defaults, ...overrides })
  }

  /** Settings from the environment. */
  static readonly layer: Layer.Layer<SwitchyardConfig, import("effect/ConfigError").ConfigError> = Layer.effect(
    SwitchyardConfig,
    Effect.gen(function*() {
      const int = (name: string, fallback: number) => Config.withDefault(Config.integer(name), fallback)
      const nodeEnv = yield* Config.withDefault(Config.string("NODE_ENV"), "development")
      const secret = yield* Config.option(Config.redacted("JWT_SECRET"))
      return {
        port: yield* int("PORT", defaults.port),
        host: yield* Config.withDefault(Config.string("HOST"), defaults.host),
        production: nodeEnv === "production",
        jwtSecret: Option.getOrUndefined(Option.filter(secret, (s) => Redacted.value(s).length > 0)),
        nodeId: yield* Config.withDefault(Config.string("NODE_ID"), `node-${process.pid}`),
        maxMessageBytes: yield* int("MAX_MESSAGE_BYTES", defaults.maxMessageBytes),
        sessionGraceMs: yield* int("SESSION_GRACE_MS", defaults.sessionGraceMs),
        heartbeatMs: yield* int("HEARTBEAT_MS", defaults.heartbeatMs),
        drainTimeoutMs: yield* int("DRAIN_TIMEOUT_MS", defaults.drainTimeoutMs),
        resumeWindowMs: yield* int("RESUME_WINDOW_MS", defaults.resumeWindowMs),
        maxBufferedBytes: yield* int("MAX_BUFFERED_BYTES", defaults.maxBufferedBytes),
        maxBufferedFrames: yield* int("MAX_BUFFERED_FRAMES", defaults.maxBufferedFrames),
        maxInboxFrames: yield* int("MAX_INBOX_FRAMES", defaults.maxInboxFrames),
        historyMinEvents: yield* int("HISTORY_MIN_EVENTS", defaults.historyMinEvents),
        historyMinAgeMs: yield* int("HISTORY_MIN_AGE_MS", defaults.historyMinAgeMs),
        historyMaxEvents: yield* int("HISTORY_MAX_EVENTS", defaults.historyMaxEvents),
        dedupeWindowMs: yield* int("DEDUPE_WINDOW_MS", defaults.dedupeWindowMs),
        dedupeMinEntries: yield* int("DEDUPE_MIN_ENTRIES", defaults.dedupeMinEntries),
        dedupeMaxEntries: yield* int("DEDUPE_MAX_ENTRIES", defaults.dedupeMaxEntries),
        agentStepMs: yield* int("AGENT_STEP_MS", defaults.agentStepMs),
        maxRunRecords: yield* int("MAX_RUN_RECORDS", defaults.maxRunRecords)
      }
    })
  )
}
