/**
 * Every module's settings together: the root composition of the settings
 * tags, each read from the environment by its own module (README,
 * "Configuration"). Import as a namespace: `import * as SwitchyardConfig from "./Config.js"`.
 */
import type { ConfigError } from "effect"
import { Layer, Option } from "effect"
import { AgentSettings } from "./agent/AgentSettings.js"
import { HandlerSettings } from "./handlers/HandlerSettings.js"
import { MigrationSettings } from "./migration/MigrationSettings.js"
import { RateLimitSettings } from "./resilience/RateLimitSettings.js"
import { ConversationSettings } from "./state/ConversationSettings.js"
import { HistorySettings } from "./state/HistorySettings.js"
import { SessionSettings } from "./state/SessionSettings.js"
import { DedupeSettings } from "./store/DedupeSettings.js"
import * as RedisDefaults from "./store/RedisSettings.js"
import { RedisSettings } from "./store/RedisSettings.js"
import { ServerSettings } from "./transport/ServerSettings.js"
import { TransportSettings } from "./transport/TransportSettings.js"

/** Every settings tag the service requires. */
export type Settings =
  | ServerSettings
  | TransportSettings
  | MigrationSettings
  | HandlerSettings
  | RateLimitSettings
  | AgentSettings
  | SessionSettings
  | HistorySettings
  | ConversationSettings
  | DedupeSettings
  | RedisSettings

/**
 * Overrides of any module's settings by field name (tests, embedding): the
 * field names of all modules are distinct, so one flat record reaches each.
 */
export type Overrides = Partial<
  & ServerSettings["Type"]
  & TransportSettings["Type"]
  & MigrationSettings["Type"]
  & HandlerSettings["Type"]
  & RateLimitSettings["Type"]
  & AgentSettings["Type"]
  & SessionSettings["Type"]
  & HistorySettings["Type"]
  & ConversationSettings["Type"]
  & DedupeSettings["Type"]
>

/** Every module's settings from the environment. */
export const layer: Layer.Layer<Settings, ConfigError.ConfigError> = Layer.mergeAll(
  ServerSettings.layer,
  TransportSettings.layer,
  MigrationSettings.layer,
  HandlerSettings.layer,
  RateLimitSettings.layer,
  AgentSettings.layer,
  SessionSettings.layer,
  HistorySettings.layer,
  ConversationSettings.layer,
  DedupeSettings.layer,
  RedisSettings.layer
)

/** Every module's defaults, with `overrides` on top (tests, embedding). */
export const layerWith = (overrides: Overrides = {}): Layer.Layer<Settings> =>
  Layer.mergeAll(
    ServerSettings.layerWith(pick(overrides, ServerSettings.defaults)),
    TransportSettings.layerWith(pick(overrides, TransportSettings.defaults)),
    MigrationSettings.layerWith(pick(overrides, MigrationSettings.defaults)),
    HandlerSettings.layerWith(pick(overrides, HandlerSettings.defaults)),
    RateLimitSettings.layerWith(pick(overrides, RateLimitSettings.defaults)),
    AgentSettings.layerWith(pick(overrides, AgentSettings.defaults)),
    SessionSettings.layerWith(pick(overrides, SessionSettings.defaults)),
    HistorySettings.layerWith(pick(overrides, HistorySettings.defaults)),
    ConversationSettings.layerWith(pick(overrides, ConversationSettings.defaults)),
    DedupeSettings.layerWith(pick(overrides, DedupeSettings.defaults)),
    // in memory: an embedder or a test that wants Redis provides its own `RedisSettings`
    Layer.succeed(RedisSettings, { ...RedisDefaults.defaults, url: Option.none() })
  )

// the overrides of one module: the fields its defaults have (an override of `undefined` included)
const pick = <A extends object>(overrides: Overrides, defaults: A): Partial<A> =>
  Object.fromEntries(Object.keys(defaults).filter((key) => key in overrides).map((key) => [key, (overrides as Record<string, unknown>)[key]])) as Partial<A>
