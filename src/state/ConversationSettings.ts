import { Config, type ConfigError, Context, Layer } from "effect"

/** A user's conversation memory for model-backed agents (`AGENT_MEMORY_*`). */
export class ConversationSettings extends Context.Tag("switchyard/ConversationSettings")<ConversationSettings, {
  /** previous turns of a thread sent to the model, at most */
  readonly agentMemoryTurns: number
  /** characters of previous turns sent to the model, at most */
  readonly agentMemoryChars: number
  /** threads remembered per user (least recently used forgotten first) */
  readonly agentMemoryThreads: number
  /** characters remembered per user across all threads */
  readonly agentMemoryUserChars: number
}>() {
  /** The defaults. */
  static readonly defaults: ConversationSettings["Type"] = {
    agentMemoryTurns: 20,
    agentMemoryChars: 24_000,
    agentMemoryThreads: 100,
    agentMemoryUserChars: 500_000
  }

  /** The settings from the environment. */
  static readonly config: Config.Config<ConversationSettings["Type"]> = Config.all({
    agentMemoryTurns: Config.withDefault(Config.integer("AGENT_MEMORY_TURNS"), ConversationSettings.defaults.agentMemoryTurns),
    agentMemoryChars: Config.withDefault(Config.integer("AGENT_MEMORY_CHARS"), ConversationSettings.defaults.agentMemoryChars),
    agentMemoryThreads: Config.withDefault(
      Config.integer("AGENT_MEMORY_THREADS"),
      ConversationSettings.defaults.agentMemoryThreads
    ),
    agentMemoryUserChars: Config.withDefault(
      Config.integer("AGENT_MEMORY_USER_CHARS"),
      ConversationSettings.defaults.agentMemoryUserChars
    )
  })

  /** Settings from the environment. */
  static readonly layer: Layer.Layer<ConversationSettings, ConfigError.ConfigError> = Layer.effect(
    ConversationSettings,
    ConversationSettings.config
  )

  /** The defaults with `overrides` (tests, embedding). */
  static layerWith(overrides: Partial<ConversationSettings["Type"]> = {}): Layer.Layer<ConversationSettings> {
    return Layer.succeed(ConversationSettings, { ...ConversationSettings.defaults, ...overrides })
  }
}
