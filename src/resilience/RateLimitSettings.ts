import { Config, type ConfigError, Context, Layer } from "effect"

/** Messages per user (PROTOCOL §10): `RATE_LIMIT_PER_SEC`, `RATE_LIMIT_BURST`. */
export class RateLimitSettings extends Context.Tag("switchyard/RateLimitSettings")<RateLimitSettings, {
  /** messages per second per user, across the user's connections; 0: no limit */
  readonly rateLimitPerSec: number
  /** messages a user may send at once before `rateLimitPerSec` applies */
  readonly rateLimitBurst: number
}>() {
  /** The defaults: a person types a few messages a second; a reconnecting client resends its queue, a batch holds up to 100. */
  static readonly defaults: RateLimitSettings["Type"] = {
    rateLimitPerSec: 50,
    rateLimitBurst: 200
  }

  /** The settings from the environment. */
  static readonly config: Config.Config<RateLimitSettings["Type"]> = Config.all({
    rateLimitPerSec: Config.withDefault(Config.number("RATE_LIMIT_PER_SEC"), RateLimitSettings.defaults.rateLimitPerSec),
    rateLimitBurst: Config.withDefault(Config.integer("RATE_LIMIT_BURST"), RateLimitSettings.defaults.rateLimitBurst)
  })

  /** Settings from the environment. */
  static readonly layer: Layer.Layer<RateLimitSettings, ConfigError.ConfigError> = Layer.effect(
    RateLimitSettings,
    RateLimitSettings.config
  )

  /** The defaults with `overrides` (tests, embedding). */
  static layerWith(overrides: Partial<RateLimitSettings["Type"]> = {}): Layer.Layer<RateLimitSettings> {
    return Layer.succeed(RateLimitSettings, { ...RateLimitSettings.defaults, ...overrides })
  }
}
