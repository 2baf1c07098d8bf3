import { Config, ConfigError, Context, Effect, Either, Layer, Option, Redacted } from "effect"
import { normalizeOrigin } from "./transport/OriginPolicy.js"
import { DEFAULT_MAX_JSON_DEPTH } from "./protocol/JsonDepth.js"
import * as Stage from "./migration/Stage.js"

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
  /** characters of frames (≈ bytes of JSON text) waiting on one connection at most */
  readonly maxInboxBytes: number
  readonly historyMinEvents: number
  readonly historyMinAgeMs: number
  readonly historyMaxEvents: number
  readonly dedupeWindowMs: number
  readonly dedupeMinEntries: number
  readonly dedupeMaxEntries: number
  readonly agentStepMs: number
  readonly maxRunRecords: number
  /** which agent runs: the embedded `builtin` one, or a model behind an OpenAI-compatible server */
  readonly agent: "builtin" | "openai"
  /** the OpenAI-compatible server, e.g. `https://api.openai.com/v1`, `http://localhost:11434/v1` */
  readonly openaiBaseUrl: string
  /** undefined: no `Authorization` header (local servers) */
  readonly openaiApiKey: Redacted.Redacted<string> | undefined
  readonly openaiModel: string
  /** `chat`: `/chat/completions` (every compatible server); `responses`: OpenAI's `/responses` */
  readonly openaiApi: "chat" | "responses"
  /** the longest wait for the model server: for its answer to start and between two streamed events */
  readonly openaiTimeoutMs: number
  /** retries of a model call that failed safely (connection, 429, 5xx) before anything was streamed */
  readonly openaiMaxRetries: number
  /** the first retry's delay (exponential backoff with jitter after it) */
  readonly openaiRetryBaseMs: number
  /** model calls per run at most (model → tools → model ...) */
  readonly agentMaxSteps: number
  /** the system message of a model-backed agent; empty: none */
  readonly agentSystemPrompt: string
  /** conversation memory: previous turns of a thread sent to the model, at most */
  readonly agentMemoryTurns: number
  /** conversation memory: characters of previous turns sent to the model, at most */
  readonly agentMemoryChars: number
  /** conversation memory: threads remembered per user (least recently used forgotten first) */
  readonly agentMemoryThreads: number
  /** `quality_validation`'s `banned_phrase` rule: phrases an AI answer must not contain */
  readonly qualityBannedPhrases: ReadonlyArray<string>
  /** `quality_validation`'s `max_length` rule: the longest allowed answer, in characters */
  readonly qualityMaxLength: number
  /** `quality_alert`: the rolling window of runs a subscription looks at, seconds */
  readonly qualityAlertWindowS: number
  /** `quality_alert`: finished runs needed in the window before a breach is declared */
  readonly qualityAlertMinRuns: number
  /** migration (PROTOCOL §8): the legacy HTTP backend (may carry credentials: never log it whole); undefined: no takeover */
  readonly legacyBackendUrl: Redacted.Redacted<string> | undefined
  /** migration: the types the legacy backend serves (each gets its own migration entry) */
  readonly legacyTypes: ReadonlyArray<string>
  /** migration: how long one request to the legacy backend may take */
  readonly legacyTimeoutMs: number
  /** migration: retries of a transient legacy backend failure (transport, timeout, 408/429/5xx) */
  readonly legacyRetries: number
  /** migration: the stage every migrating type starts in (`WEBSOCKET_MIGRATION_STRATEGY`) */
  readonly migrationStrategy: Stage.Stage
  /** migration: with `dual_mode`, only these types are in canary (at 100%); undefined: all */
  readonly ssotEnabledMessageTypes: ReadonlyArray<string> | undefined
  /** migration: the canary percentage a type starts with */
  readonly migrationCanaryPercent: number
  /** migration: may legacy serve when next fails under `next_primary`? */
  readonly legacyFallbackEnabled: boolean
  /** migration: roll a type back to `legacy_only` when next does worse than legacy */
  readonly migrationRollbackOnError: boolean
  /** migration: log each routing decision at debug level */
  readonly migrationLoggingEnabled: boolean
  /** migration: the timeout of one call of either implementation */
  readonly migrationHandlerTimeoutMs: number
  /** migration: how long a shadow comparison waits for both sides' runs to finish */
  readonly migrationShadowWaitMs: number
  /** migration: consecutive failures that open an implementation's circuit breaker */
  readonly migrationBreakerFailures: number
  /** migration: how long an open breaker waits before letting a probe through */
  readonly migrationBreakerResetMs: number
  /** migration: the rolling window the rollback rule looks at */
  readonly migrationWindowMs: number
  /** migration: roll back when next's error rate exceeds legacy's by more than this many points */
  readonly migrationRollbackErrorPoints: number
  /** migration: roll back when next's p95 latency exceeds this multiple of legacy's */
  readonly migrationRollbackLatencyRatio: number
  /** migration: calls each side needs in the window before the rollback rule decides */
  readonly migrationRollbackMinSamples: number
  // stream and memory: byte bounds
  /** a user's stream history: UTF-8 bytes of encoded frames held at most (wins over the minimums) */
  readonly historyMaxBytes: number
  /** conversation memory: characters remembered per user across all threads */
  readonly agentMemoryUserChars: number
  // connection admission limits
  /** upgrades one address may start per minute (a token bucket: a burst of this many, then this many a minute); 0: no limit */
  readonly upgradesPerMinPerAddress: number
  /** addresses the upgrade rate remembers at most (the least recently seen are forgotten first) */
  readonly upgradeRateMaxAddresses: number
  /** connections (open or opening) of one user on this node at most; 0: no limit */
  readonly maxConnectionsPerUser: number
  /** connections (open or opening) of this node at most; 0: no limit */
  readonly maxConnections: number
  // frames: decoding, per-user message rate, client error logs
  /** nesting levels of arrays/objects a client frame may have (the frame itself is level 1) */
  readonly maxJsonDepth: number
  /** messages per second per user, across the user's connections; 0: no limit */
  readonly rateLimitPerSec: number
  /** messages a user may send at once before `rateLimitPerSec` applies */
  readonly rateLimitBurst: number
  /** `error` reports (client-side errors) logged per second by this process; the rest are counted */
  readonly clientErrorLogPerSec: number
  // auth: browser origins
  /** `ALLOWED_ORIGINS`: the browser origins that may open a WebSocket (others: 403); undefined: no origin check */
  readonly allowedOrigins: ReadonlyArray<string> | undefined
  // migration: runs judged by their end
  /** migration: how long a call that started an agent run waits for the run's end to be judged by it (stats, breaker, rollback) */
  readonly migrationRunOutcomeWaitMs: number
  // dedupe: byte bounds
  /** dedupe: bytes of remembered results one user may hold (oldest ids go first beyond it) */
  readonly dedupeMaxBytesPerUser: number
  /** dedupe: the longest result remembered; a longer one is not remembered (a retry is processed again) */
  readonly dedupeMaxResultBytes: number
  /** dedupe: bytes of remembered results all users of the node may hold together */
  readonly dedupeMaxBytes: number
  // agent runs per user
  /** agent runs a user may start in any minute (`RUN_RATE_LIMIT_PER_MIN`); 0: no limit */
  readonly runRateLimitPerMin: number
  /** agent runs a user may have going at once (`MAX_RUNS_PER_USER`); 0: no limit */
  readonly maxRunsPerUser: number
}

/** Where development mode (no `JWT_SECRET`) listens unless `HOST` is set: this machine only. */
export const DEVELOPMENT_HOST = "127.0.0.1"

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
  maxInboxBytes: 8 * 1024 * 1024,
  historyMinEvents: 1000,
  historyMinAgeMs: 10 * 60_000,
  historyMaxEvents: 10_000,
  dedupeWindowMs: 10 * 60_000,
  dedupeMinEntries: 10_000,
  dedupeMaxEntries: 100_000,
  agentStepMs: 20,
  maxRunRecords: 1000,
  agent: "builtin",
  openaiBaseUrl: "https://api.openai.com/v1",
  openaiApiKey: undefined,
  openaiModel: "gpt-4o-mini",
  openaiApi: "chat",
  openaiTimeoutMs: 60_000,
  openaiMaxRetries: 2,
  openaiRetryBaseMs: 250,
  agentMaxSteps: 8,
  agentSystemPrompt:
    "You are a helpful assistant in a chat. Use the tools you are given when they help; for arithmetic, always use the calculator.",
  agentMemoryTurns: 20,
  agentMemoryChars: 24_000,
  agentMemoryThreads: 100,
  qualityBannedPhrases: [],
  qualityMaxLength: 32_000,
  qualityAlertWindowS: 300,
  qualityAlertMinRuns: 5,
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
  migrationRollbackErrorPoints: 5,
  migrationRollbackLatencyRatio: 1.5,
  migrationRollbackMinSamples: 20,
  // stream and memory: byte bounds
  historyMaxBytes: 4 * 1024 * 1024,
  agentMemoryUserChars: 500_000,
  // connection admission limits
  // an office behind one NAT reconnecting at once after a deploy fits in the burst; 10/s after it costs nothing
  upgradesPerMinPerAddress: 600,
  upgradeRateMaxAddresses: 100_000,
  // a phone, a laptop and a dozen tabs
  maxConnectionsPerUser: 16,
  // ~12 KiB each when idle (`npm run bench`, idle): 20,000 are ~250 MiB; the bench opens 10,000
  maxConnections: 20_000,
  // frames: decoding, per-user message rate, client error logs
  maxJsonDepth: DEFAULT_MAX_JSON_DEPTH,
  // a person types a few messages a second; a reconnecting client resends its queue, a batch holds up to 100
  rateLimitPerSec: 50,
  rateLimitBurst: 200,
  clientErrorLogPerSec: 5,
  // auth: browser origins
  allowedOrigins: undefined,
  // migration: runs judged by their end
  migrationRunOutcomeWaitMs: 10 * 60_000,
  // dedupe: byte bounds
  dedupeMaxBytesPerUser: 8 * 1024 * 1024,
  dedupeMaxResultBytes: 64 * 1024,
  dedupeMaxBytes: 256 * 1024 * 1024,
  // agent runs per user
  // a person sends a message every few seconds and a run costs money; a client may batch a few at once
  runRateLimitPerMin: 60,
  maxRunsPerUser: 10
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
      const num = (name: string, fallback: number) => Config.withDefault(Config.number(name), fallback)
      const bool = (name: string, fallback: boolean) => Config.withDefault(Config.boolean(name), fallback)
      const nodeEnv = yield* Config.withDefault(Config.string("NODE_ENV"), "development")
      const secret = Option.filter(yield* Config.option(Config.redacted("JWT_SECRET")), (s) => Redacted.value(s).length > 0)
      return {
        port: yield* int("PORT", defaults.port),
        // development mode signs with a public secret: unless HOST says otherwise, only this machine may reach it
        host: yield* Config.withDefault(Config.string("HOST"), Option.isSome(secret) ? defaults.host : DEVELOPMENT_HOST),
        production: nodeEnv === "production",
        jwtSecret: Option.getOrUndefined(secret),
        nodeId: yield* Config.withDefault(Config.string("NODE_ID"), `node-${process.pid}`),
        maxMessageBytes: yield* int("MAX_MESSAGE_BYTES", defaults.maxMessageBytes),
        sessionGraceMs: yield* int("SESSION_GRACE_MS", defaults.sessionGraceMs),
        heartbeatMs: yield* int("HEARTBEAT_MS", defaults.heartbeatMs),
        drainTimeoutMs: yield* int("DRAIN_TIMEOUT_MS", defaults.drainTimeoutMs),
        resumeWindowMs: yield* int("RESUME_WINDOW_MS", defaults.resumeWindowMs),
        maxBufferedBytes: yield* int("MAX_BUFFERED_BYTES", defaults.maxBufferedBytes),
        maxBufferedFrames: yield* int("MAX_BUFFERED_FRAMES", defaults.maxBufferedFrames),
        maxInboxFrames: yield* int("MAX_INBOX_FRAMES", defaults.maxInboxFrames),
        maxInboxBytes: yield* int("MAX_INBOX_BYTES", defaults.maxInboxBytes),
        historyMinEvents: yield* int("HISTORY_MIN_EVENTS", defaults.historyMinEvents),
        historyMinAgeMs: yield* int("HISTORY_MIN_AGE_MS", defaults.historyMinAgeMs),
        historyMaxEvents: yield* int("HISTORY_MAX_EVENTS", defaults.historyMaxEvents),
        dedupeWindowMs: yield* int("DEDUPE_WINDOW_MS", defaults.dedupeWindowMs),
        dedupeMinEntries: yield* int("DEDUPE_MIN_ENTRIES", defaults.dedupeMinEntries),
        dedupeMaxEntries: yield* int("DEDUPE_MAX_ENTRIES", defaults.dedupeMaxEntries),
        agentStepMs: yield* int("AGENT_STEP_MS", defaults.agentStepMs),
        maxRunRecords: yield* int("MAX_RUN_RECORDS", defaults.maxRunRecords),
        agent: yield* Config.withDefault(Config.literal("builtin", "openai")("AGENT"), defaults.agent),
        openaiBaseUrl: yield* Config.withDefault(Config.string("OPENAI_BASE_URL"), defaults.openaiBaseUrl),
        openaiApiKey: Option.getOrUndefined(Option.filter(
          yield* Config.option(Config.redacted("OPENAI_API_KEY")),
          (key) => Redacted.value(key).length > 0
        )),
        openaiModel: yield* Config.withDefault(Config.string("OPENAI_MODEL"), defaults.openaiModel),
        openaiApi: yield* Config.withDefault(Config.literal("chat", "responses")("OPENAI_API"), defaults.openaiApi),
        openaiTimeoutMs: yield* int("OPENAI_TIMEOUT_MS", defaults.openaiTimeoutMs),
        openaiMaxRetries: yield* int("OPENAI_MAX_RETRIES", defaults.openaiMaxRetries),
        openaiRetryBaseMs: yield* int("OPENAI_RETRY_BASE_MS", defaults.openaiRetryBaseMs),
        agentMaxSteps: yield* int("AGENT_MAX_STEPS", defaults.agentMaxSteps),
        agentSystemPrompt: yield* Config.withDefault(Config.string("AGENT_SYSTEM_PROMPT"), defaults.agentSystemPrompt),
        agentMemoryTurns: yield* int("AGENT_MEMORY_TURNS", defaults.agentMemoryTurns),
        agentMemoryChars: yield* int("AGENT_MEMORY_CHARS", defaults.agentMemoryChars),
        agentMemoryThreads: yield* int("AGENT_MEMORY_THREADS", defaults.agentMemoryThreads),
        qualityBannedPhrases: yield* Config.withDefault(
          Config.map(Config.string("QUALITY_BANNED_PHRASES"), commaList),
          defaults.qualityBannedPhrases
        ),
        qualityMaxLength: yield* int("QUALITY_MAX_LENGTH", defaults.qualityMaxLength),
        qualityAlertWindowS: yield* int("QUALITY_ALERT_WINDOW_S", defaults.qualityAlertWindowS),
        qualityAlertMinRuns: yield* int("QUALITY_ALERT_MIN_RUNS", defaults.qualityAlertMinRuns),
        legacyBackendUrl: Option.getOrUndefined(Option.filter(
          yield* Config.option(Config.redacted("LEGACY_BACKEND_URL")),
          (url) => Redacted.value(url).trim().length > 0
        )),
        legacyTypes: yield* Config.withDefault(Config.map(Config.string("LEGACY_TYPES"), commaList), defaults.legacyTypes),
        legacyTimeoutMs: yield* int("LEGACY_TIMEOUT_MS", defaults.legacyTimeoutMs),
        legacyRetries: yield* int("LEGACY_RETRIES", defaults.legacyRetries),
        migrationStrategy: yield* Config.withDefault(stageConfig("WEBSOCKET_MIGRATION_STRATEGY"), defaults.migrationStrategy),
        ssotEnabledMessageTypes: Option.getOrUndefined(
          yield* Config.option(Config.map(Config.string("SSOT_ENABLED_MESSAGE_TYPES"), commaList))
        ),
        migrationCanaryPercent: yield* Config.withDefault(
          Config.validate(Config.integer("MIGRATION_CANARY_PERCENT"), {
            message: "MIGRATION_CANARY_PERCENT must be an integer from 0 to 100",
            validation: (n) => n >= 0 && n <= 100
          }),
          defaults.migrationCanaryPercent
        ),
        legacyFallbackEnabled: yield* bool("LEGACY_FALLBACK_ENABLED", defaults.legacyFallbackEnabled),
        migrationRollbackOnError: yield* bool("MIGRATION_ROLLBACK_ON_ERROR", defaults.migrationRollbackOnError),
        migrationLoggingEnabled: yield* bool("MIGRATION_LOGGING_ENABLED", defaults.migrationLoggingEnabled),
        migrationHandlerTimeoutMs: yield* int("MIGRATION_HANDLER_TIMEOUT_MS", defaults.migrationHandlerTimeoutMs),
        migrationShadowWaitMs: yield* int("MIGRATION_SHADOW_WAIT_MS", defaults.migrationShadowWaitMs),
        migrationBreakerFailures: yield* int("MIGRATION_BREAKER_FAILURES", defaults.migrationBreakerFailures),
        migrationBreakerResetMs: yield* int("MIGRATION_BREAKER_RESET_MS", defaults.migrationBreakerResetMs),
        migrationWindowMs: yield* int("MIGRATION_WINDOW_MS", defaults.migrationWindowMs),
        migrationRollbackErrorPoints: yield* num("MIGRATION_ROLLBACK_ERROR_POINTS", defaults.migrationRollbackErrorPoints),
        migrationRollbackLatencyRatio: yield* num("MIGRATION_ROLLBACK_LATENCY_RATIO", defaults.migrationRollbackLatencyRatio),
        migrationRollbackMinSamples: yield* int("MIGRATION_ROLLBACK_MIN_SAMPLES", defaults.migrationRollbackMinSamples),
        // stream and memory: byte bounds
        historyMaxBytes: yield* int("HISTORY_MAX_BYTES", defaults.historyMaxBytes),
        agentMemoryUserChars: yield* int("AGENT_MEMORY_USER_CHARS", defaults.agentMemoryUserChars),
        // connection admission limits
        upgradesPerMinPerAddress: yield* int("UPGRADES_PER_MIN_PER_ADDRESS", defaults.upgradesPerMinPerAddress),
        upgradeRateMaxAddresses: yield* int("UPGRADE_RATE_MAX_ADDRESSES", defaults.upgradeRateMaxAddresses),
        maxConnectionsPerUser: yield* int("MAX_CONNECTIONS_PER_USER", defaults.maxConnectionsPerUser),
        maxConnections: yield* int("MAX_CONNECTIONS", defaults.maxConnections),
        // frames: decoding, per-user message rate, client error logs
        maxJsonDepth: yield* int("MAX_JSON_DEPTH", defaults.maxJsonDepth),
        rateLimitPerSec: yield* num("RATE_LIMIT_PER_SEC", defaults.rateLimitPerSec),
        rateLimitBurst: yield* int("RATE_LIMIT_BURST", defaults.rateLimitBurst),
        clientErrorLogPerSec: yield* num("CLIENT_ERROR_LOG_PER_SEC", defaults.clientErrorLogPerSec),
        // auth: browser origins
        allowedOrigins: Option.getOrUndefined(Option.filter(
          yield* Config.option(originsConfig("ALLOWED_ORIGINS")),
          (origins) => origins.length > 0
        )),
        // migration: runs judged by their end
        migrationRunOutcomeWaitMs: yield* int("MIGRATION_RUN_OUTCOME_WAIT_MS", defaults.migrationRunOutcomeWaitMs),
        // dedupe: byte bounds
        dedupeMaxBytesPerUser: yield* int("DEDUPE_MAX_BYTES_PER_USER", defaults.dedupeMaxBytesPerUser),
        dedupeMaxResultBytes: yield* int("DEDUPE_MAX_RESULT_BYTES", defaults.dedupeMaxResultBytes),
        dedupeMaxBytes: yield* int("DEDUPE_MAX_BYTES", defaults.dedupeMaxBytes),
        // agent runs per user
        runRateLimitPerMin: yield* int("RUN_RATE_LIMIT_PER_MIN", defaults.runRateLimitPerMin),
        maxRunsPerUser: yield* int("MAX_RUNS_PER_USER", defaults.maxRunsPerUser)
      }
    })
  )
}

// "a, b,,c " → ["a", "b", "c"]: blanks around and between commas are not phrases.
const commaList = (value: string): ReadonlyArray<string> =>
  value.split(",").map((item) => item.trim()).filter((item) => item.length > 0)

// "https://App.example.com/, http://localhost:3000" → the origins as browsers send them; a bad one stops the service at start
const originsConfig = (name: string): Config.Config<ReadonlyArray<string>> =>
  Config.mapOrFail(Config.string(name), (value) => {
    const origins = commaList(value)
    const normalized = origins.map(normalizeOrigin)
    const bad = origins.filter((_, i) => normalized[i] === undefined)
    return bad.length > 0
      ? Either.left(ConfigError.InvalidData([name], `expected origins like https://app.example.com, got "${bad.join(", ")}"`))
      : Either.right(normalized.filter((origin): origin is string => origin !== undefined))
  })

// a stage name from either column of PROTOCOL §8; anything else stops the service at start
const stageConfig = (name: string): Config.Config<Stage.Stage> =>
  Config.mapOrFail(Config.string(name), (value) =>
    Option.match(Stage.parse(value), {
      onNone: () =>
        Either.left(ConfigError.InvalidData([name], `expected one of ${Stage.acceptedNames.join(", ")}, got "${value}"`)),
      onSome: Either.right
    }))
