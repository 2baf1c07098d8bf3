import { Config, type ConfigError, Context, Layer } from "effect"

/**
 * How long and how much the node remembers of client message ids
 * (PROTOCOL §5, `DEDUPE_*`): the bounds of any `DedupeStore`.
 */
export class DedupeSettings extends Context.Tag("switchyard/DedupeSettings")<DedupeSettings, {
  /** an id (with its first result) is remembered this long ... */
  readonly dedupeWindowMs: number
  /** ... never fewer than this many per user within the window ... */
  readonly dedupeMinEntries: number
  /** ... and at most this many per user */
  readonly dedupeMaxEntries: number
  /** bytes of remembered results one user may hold (oldest ids go first beyond it) */
  readonly dedupeMaxBytesPerUser: number
  /** the longest result remembered; a longer one is not remembered (a retry is processed again) */
  readonly dedupeMaxResultBytes: number
  /** bytes of remembered results all users of the node may hold together */
  readonly dedupeMaxBytes: number
}>() {
  /** The defaults. */
  static readonly defaults: DedupeSettings["Type"] = {
    dedupeWindowMs: 10 * 60_000,
    dedupeMinEntries: 10_000,
    dedupeMaxEntries: 100_000,
    dedupeMaxBytesPerUser: 8 * 1024 * 1024,
    dedupeMaxResultBytes: 64 * 1024,
    dedupeMaxBytes: 256 * 1024 * 1024
  }

  /** The settings from the environment. */
  static readonly config: Config.Config<DedupeSettings["Type"]> = Config.all({
    dedupeWindowMs: int("DEDUPE_WINDOW_MS", DedupeSettings.defaults.dedupeWindowMs),
    dedupeMinEntries: int("DEDUPE_MIN_ENTRIES", DedupeSettings.defaults.dedupeMinEntries),
    dedupeMaxEntries: int("DEDUPE_MAX_ENTRIES", DedupeSettings.defaults.dedupeMaxEntries),
    dedupeMaxBytesPerUser: int("DEDUPE_MAX_BYTES_PER_USER", DedupeSettings.defaults.dedupeMaxBytesPerUser),
    dedupeMaxResultBytes: int("DEDUPE_MAX_RESULT_BYTES", DedupeSettings.defaults.dedupeMaxResultBytes),
    dedupeMaxBytes: int("DEDUPE_MAX_BYTES", DedupeSettings.defaults.dedupeMaxBytes)
  })

  /** Settings from the environment. */
  static readonly layer: Layer.Layer<DedupeSettings, ConfigError.ConfigError> = Layer.effect(
    DedupeSettings,
    DedupeSettings.config
  )

  /** The defaults with `overrides` (tests, embedding). */
  static layerWith(overrides: Partial<DedupeSettings["Type"]> = {}): Layer.Layer<DedupeSettings> {
    return Layer.succeed(DedupeSettings, { ...DedupeSettings.defaults, ...overrides })
  }
}

function int(name: string, fallback: number): Config.Config<number> {
  return Config.withDefault(Config.integer(name), fallback)
}
