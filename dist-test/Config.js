import { Config, ConfigError, Context, Effect, Either, Layer, Option, Redacted } from "effect";
import * as Stage from "./migration/Stage.js";
const defaults = {
  port: 8080,
  host: "0.0.0.0",
  production: false,
  jwtSecret: void 0,
  nodeId: "node-1",
  maxMessageBytes: 1024 * 1024,
  sessionGraceMs: 6e4,
  heartbeatMs: 3e4,
  drainTimeoutMs: 1e4,
  resumeWindowMs: 500,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxBufferedFrames: 4096,
  maxInboxFrames: 1024,
  historyMinEvents: 1e3,
  historyMinAgeMs: 10 * 6e4,
  historyMaxEvents: 1e4,
  dedupeWindowMs: 10 * 6e4,
  dedupeMinEntries: 1e4,
  dedupeMaxEntries: 1e5,
  agentStepMs: 20,
  maxRunRecords: 1e3,
  agent: "builtin",
  openaiBaseUrl: "https://api.openai.com/v1",
  openaiApiKey: void 0,
  openaiModel: "gpt-4o-mini",
  openaiApi: "chat",
  openaiTimeoutMs: 6e4,
  openaiMaxRetries: 2,
  openaiRetryBaseMs: 250,
  agentMaxSteps: 8,
  agentSystemPrompt: "You are a helpful assistant in a chat. Use the tools you are given when they help; for arithmetic, always use the calculator.",
  agentMemoryTurns: 20,
  agentMemoryChars: 24e3,
  agentMemoryThreads: 100,
  qualityBannedPhrases: [],
  qualityMaxLength: 32e3,
  qualityAlertWindowS: 300,
  qualityAlertMinRuns: 5,
  legacyBackendUrl: void 0,
  legacyTypes: [
    "user_message",
    "start_agent",
    "agent_request",
    "quality_metrics",
    "quality_validation",
    "quality_report"
  ],
  legacyTimeoutMs: 5e3,
  legacyRetries: 2,
  migrationStrategy: "legacy_only",
  ssotEnabledMessageTypes: void 0,
  migrationCanaryPercent: 10,
  legacyFallbackEnabled: true,
  migrationRollbackOnError: true,
  migrationLoggingEnabled: true,
  migrationHandlerTimeoutMs: 3e4,
  migrationShadowWaitMs: 3e4,
  migrationBreakerFailures: 5,
  migrationBreakerResetMs: 6e4,
  migrationWindowMs: 6e4,
  migrationRollbackErrorPoints: 5,
  migrationRollbackLatencyRatio: 1.5,
  migrationRollbackMinSamples: 20
};
class SwitchyardConfig extends Context.Tag("switchyard/Config")() {
  /** Settings from `overrides` on top of the defaults (tests, embedding). */
  static layerWith(overrides = {}) {
    return Layer.succeed(SwitchyardConfig, { ...defaults, ...overrides });
  }
  /** Settings from the environment. */
  static layer = Layer.effect(
    SwitchyardConfig,
    Effect.gen(function* () {
      const int = (name, fallback) => Config.withDefault(Config.integer(name), fallback);
      const num = (name, fallback) => Config.withDefault(Config.number(name), fallback);
      const bool = (name, fallback) => Config.withDefault(Config.boolean(name), fallback);
      const nodeEnv = yield* Config.withDefault(Config.string("NODE_ENV"), "development");
      const secret = yield* Config.option(Config.redacted("JWT_SECRET"));
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
          yield* Config.option(Config.string("LEGACY_BACKEND_URL")),
          (url) => url.trim().length > 0
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
        migrationRollbackMinSamples: yield* int("MIGRATION_ROLLBACK_MIN_SAMPLES", defaults.migrationRollbackMinSamples)
      };
    })
  );
}
const commaList = (value) => value.split(",").map((item) => item.trim()).filter((item) => item.length > 0);
const stageConfig = (name) => Config.mapOrFail(Config.string(name), (value) => Option.match(Stage.parse(value), {
  onNone: () => Either.left(ConfigError.InvalidData([name], `expected one of ${Stage.acceptedNames.join(", ")}, got "${value}"`)),
  onSome: Either.right
}));
export {
  SwitchyardConfig,
  defaults
};
//# sourceMappingURL=Config.js.map
