import { Config, type ConfigError, Context, Effect, Layer, Option, Redacted } from "effect"

/**
 * The settings of cluster mode, read through effect's `Config` (README,
 * "Running several nodes"). Without `REDIS_URL` the node runs in memory and reads none
 * of the others' meaning.
 */
export interface RedisSettingsShape {
  /** `REDIS_URL` (redacted: it may carry a password); none = memory mode */
  readonly url: Option.Option<Redacted.Redacted<string>>
  /** `REDIS_PREFIX`: put before every key and channel, so deployments and test runs share one Redis */
  readonly prefix: string
  /** `REDIS_REQUIRED`: Redis unreachable at start fails the start (true) or starts degraded (false) */
  readonly required: boolean
  /** `REDIS_CONNECT_TIMEOUT_MS`: how long the start waits for Redis before it fails (when required) */
  readonly connectTimeoutMs: number
  /** `REDIS_COMMAND_TIMEOUT_MS`: a command not answered within this fails (nothing waits longer) */
  readonly commandTimeoutMs: number
  /** `REDIS_RECONNECT_MAX_DELAY_MS`: the longest pause between two reconnection attempts */
  readonly reconnectMaxDelayMs: number
  /** `REDIS_DEDUPE_LEASE_MS`: how long a claim in progress holds its id before another node may take it over (its owner died) */
  readonly dedupeLeaseMs: number
  /** `REDIS_RUN_LEASE_MS`: how long a node's agent runs stay its own without a renewal; a node that died has its runs ended (`NODE_LOST`) by a survivor within about 1.25 of this, and its connections stop counting on other nodes (presence) within this */
  readonly runLeaseMs: number
}

/** The defaults, written once. */
export const defaults: Omit<RedisSettingsShape, "url"> = {
  prefix: "switchyard:",
  required: true,
  connectTimeoutMs: 5_000,
  commandTimeoutMs: 2_000,
  reconnectMaxDelayMs: 2_000,
  dedupeLeaseMs: 60_000,
  runLeaseMs: 10_000
}

const positive = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({ message: `${name} must be a positive integer`, validation: (n) => n > 0 }),
    Config.withDefault(fallback)
  )

/** The settings as read from the environment (or any `ConfigProvider`). */
export const config: Config.Config<RedisSettingsShape> = Config.all({
  url: Config.option(Config.redacted("REDIS_URL")),
  prefix: Config.withDefault(Config.string("REDIS_PREFIX"), defaults.prefix),
  required: Config.withDefault(Config.boolean("REDIS_REQUIRED"), defaults.required),
  connectTimeoutMs: positive("REDIS_CONNECT_TIMEOUT_MS", defaults.connectTimeoutMs),
  commandTimeoutMs: positive("REDIS_COMMAND_TIMEOUT_MS", defaults.commandTimeoutMs),
  reconnectMaxDelayMs: positive("REDIS_RECONNECT_MAX_DELAY_MS", defaults.reconnectMaxDelayMs),
  dedupeLeaseMs: positive("REDIS_DEDUPE_LEASE_MS", defaults.dedupeLeaseMs),
  runLeaseMs: positive("REDIS_RUN_LEASE_MS", defaults.runLeaseMs)
})

/** The cluster-mode settings of this node. */
export class RedisSettings extends Context.Tag("switchyard/store/RedisSettings")<RedisSettings, RedisSettingsShape>() {
  /** From the environment. */
  static readonly layer: Layer.Layer<RedisSettings, ConfigError.ConfigError> = Layer.effect(
    RedisSettings,
    config
  )

  /** Given settings (tests, embedders): what is not given is the default. */
  static readonly make = (
    settings: Partial<Omit<RedisSettingsShape, "url">> & { readonly url: string }
  ): RedisSettingsShape => ({ ...defaults, ...settings, url: Option.some(Redacted.make(settings.url)) })

  /** Whether cluster mode is on (`REDIS_URL` set), for a composition root choosing its layers. */
  static readonly enabled: Effect.Effect<boolean, never, RedisSettings> = Effect.map(
    RedisSettings,
    (settings) => Option.isSome(settings.url)
  )
}
