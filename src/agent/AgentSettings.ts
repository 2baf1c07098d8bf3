import { Config, type ConfigError, Context, Effect, Layer, Option, Redacted } from "effect"

/**
 * Which agent runs and how (`AGENT`, `AGENT_*`, `OPENAI_*`; README,
 * "A real model behind the agent").
 */
export class AgentSettings extends Context.Tag("switchyard/AgentSettings")<AgentSettings, {
  /** which agent runs: the embedded `builtin` one, or a model behind an OpenAI-compatible server */
  readonly agent: "builtin" | "openai"
  /** pacing of the built-in agent's events */
  readonly agentStepMs: number
  /** the OpenAI-compatible server, e.g. `https://api.openai.com/v1`, `http://localhost:11434/v1` */
  readonly openaiBaseUrl: string
  /** undefined: no `Authorization` header (local servers) */
  readonly openaiApiKey: Redacted.Redacted<string> | undefined
  readonly openaiModel: string
  /** `chat`: `/chat/completions` (every compatible server); `responses`: OpenAI's `/responses` */
  readonly openaiApi: "chat" | "responses"
  /** the longest wait for the model server: for its answer to start and between two parts of it (keep-alive comments do not count) */
  readonly openaiTimeoutMs: number
  /** retries of a model call that failed safely (connection, 429, 5xx) before anything was streamed */
  readonly openaiMaxRetries: number
  /** the first retry's delay (exponential backoff with jitter after it) */
  readonly openaiRetryBaseMs: number
  /** model calls per run at most (model → tools → model ...) */
  readonly agentMaxSteps: number
  /** the system message of a model-backed agent; empty: none */
  readonly agentSystemPrompt: string
}>() {
  /** The defaults. */
  static readonly defaults: AgentSettings["Type"] = {
    agent: "builtin",
    agentStepMs: 20,
    openaiBaseUrl: "https://api.openai.com/v1",
    openaiApiKey: undefined,
    openaiModel: "gpt-4o-mini",
    openaiApi: "chat",
    openaiTimeoutMs: 60_000,
    openaiMaxRetries: 2,
    openaiRetryBaseMs: 250,
    agentMaxSteps: 8,
    agentSystemPrompt:
      "You are a helpful assistant in a chat. Use the tools you are given when they help; for arithmetic, always use the calculator."
  }

  /** The settings from the environment. */
  static readonly config: Effect.Effect<AgentSettings["Type"], ConfigError.ConfigError> = Effect.gen(function*() {
    const defaults = AgentSettings.defaults
    const int = (name: string, fallback: number) => Config.withDefault(Config.integer(name), fallback)
    return {
      agent: yield* Config.withDefault(Config.literal("builtin", "openai")("AGENT"), defaults.agent),
      agentStepMs: yield* int("AGENT_STEP_MS", defaults.agentStepMs),
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
      agentSystemPrompt: yield* Config.withDefault(Config.string("AGENT_SYSTEM_PROMPT"), defaults.agentSystemPrompt)
    }
  })

  /** Settings from the environment. */
  static readonly layer: Layer.Layer<AgentSettings, ConfigError.ConfigError> = Layer.effect(
    AgentSettings,
    AgentSettings.config
  )

  /** The defaults with `overrides` (tests, embedding). */
  static layerWith(overrides: Partial<AgentSettings["Type"]> = {}): Layer.Layer<AgentSettings> {
    return Layer.succeed(AgentSettings, { ...AgentSettings.defaults, ...overrides })
  }
}
