import { Config, type ConfigError, Context, Layer } from "effect"
import { DEFAULT_MAX_JSON_DEPTH } from "../protocol/JsonDepth.js"

/**
 * What one connection may cost and how many there may be: frame and buffer
 * bounds, heartbeat, resume window (README, "Configuration"), and the
 * admission limits decided before the handshake (PROTOCOL §10).
 */
export class TransportSettings extends Context.Tag("switchyard/TransportSettings")<TransportSettings, {
  /** larger frames close the connection with 1009 */
  readonly maxMessageBytes: number
  /** nesting levels of arrays/objects a client frame may have (the frame itself is level 1) */
  readonly maxJsonDepth: number
  /** WebSocket ping interval; two missed pongs close with 4000 */
  readonly heartbeatMs: number
  /** a new connection holds live events until its first frame, at most this long */
  readonly resumeWindowMs: number
  readonly maxBufferedBytes: number
  readonly maxBufferedFrames: number
  readonly maxInboxFrames: number
  /**
   * `MAX_INBOX_BYTES`: characters of frames' text (UTF-16 code units, what a
   * string's `length` counts; bytes for ASCII) waiting on one connection at most
   */
  readonly maxInboxChars: number
  /** upgrades one address may start per minute (a token bucket: a burst of this many, then this many a minute); 0: no limit */
  readonly upgradesPerMinPerAddress: number
  /** addresses the upgrade rate remembers at most (the least recently seen are forgotten first) */
  readonly upgradeRateMaxAddresses: number
  /** connections (open or opening) of one user on this node at most; 0: no limit */
  readonly maxConnectionsPerUser: number
  /** connections (open or opening) of this node at most; 0: no limit */
  readonly maxConnections: number
}>() {
  /** The defaults. */
  static readonly defaults: TransportSettings["Type"] = {
    maxMessageBytes: 1024 * 1024,
    maxJsonDepth: DEFAULT_MAX_JSON_DEPTH,
    heartbeatMs: 30_000,
    resumeWindowMs: 500,
    maxBufferedBytes: 4 * 1024 * 1024,
    maxBufferedFrames: 4096,
    maxInboxFrames: 1024,
    maxInboxChars: 8 * 1024 * 1024,
    // an office behind one NAT reconnecting at once after a deploy fits in the burst; 10/s after it costs nothing
    upgradesPerMinPerAddress: 600,
    upgradeRateMaxAddresses: 100_000,
    // a phone, a laptop and a dozen tabs
    maxConnectionsPerUser: 16,
    // ~12 KiB each when idle (`npm run bench`, idle): 20,000 are ~250 MiB; the bench opens 10,000
    maxConnections: 20_000
  }

  /** The settings from the environment. */
  static readonly config: Config.Config<TransportSettings["Type"]> = Config.all({
    maxMessageBytes: int("MAX_MESSAGE_BYTES", TransportSettings.defaults.maxMessageBytes),
    maxJsonDepth: int("MAX_JSON_DEPTH", TransportSettings.defaults.maxJsonDepth),
    heartbeatMs: int("HEARTBEAT_MS", TransportSettings.defaults.heartbeatMs),
    resumeWindowMs: int("RESUME_WINDOW_MS", TransportSettings.defaults.resumeWindowMs),
    maxBufferedBytes: int("MAX_BUFFERED_BYTES", TransportSettings.defaults.maxBufferedBytes),
    maxBufferedFrames: int("MAX_BUFFERED_FRAMES", TransportSettings.defaults.maxBufferedFrames),
    maxInboxFrames: int("MAX_INBOX_FRAMES", TransportSettings.defaults.maxInboxFrames),
    maxInboxChars: int("MAX_INBOX_BYTES", TransportSettings.defaults.maxInboxChars),
    upgradesPerMinPerAddress: int("UPGRADES_PER_MIN_PER_ADDRESS", TransportSettings.defaults.upgradesPerMinPerAddress),
    upgradeRateMaxAddresses: int("UPGRADE_RATE_MAX_ADDRESSES", TransportSettings.defaults.upgradeRateMaxAddresses),
    maxConnectionsPerUser: int("MAX_CONNECTIONS_PER_USER", TransportSettings.defaults.maxConnectionsPerUser),
    maxConnections: int("MAX_CONNECTIONS", TransportSettings.defaults.maxConnections)
  })

  /** Settings from the environment. */
  static readonly layer: Layer.Layer<TransportSettings, ConfigError.ConfigError> = Layer.effect(
    TransportSettings,
    TransportSettings.config
  )

  /** The defaults with `overrides` (tests, embedding). */
  static layerWith(overrides: Partial<TransportSettings["Type"]> = {}): Layer.Layer<TransportSettings> {
    return Layer.succeed(TransportSettings, { ...TransportSettings.defaults, ...overrides })
  }
}

function int(name: string, fallback: number): Config.Config<number> {
  return Config.withDefault(Config.integer(name), fallback)
}
