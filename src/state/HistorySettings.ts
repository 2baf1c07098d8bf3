import { Config, type ConfigError, Context, Layer } from "effect"
import type { HistoryOptions } from "../store/History.js"

const count = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({ message: `${name} must be an integer of 0 or more`, validation: (n) => n >= 0 }),
    Config.withDefault(fallback)
  )

/** How much of a user's stream is kept for `resume` (PROTOCOL §6, `HISTORY_*`). */
export class HistorySettings extends Context.Tag("switchyard/HistorySettings")<HistorySettings, {
  /** the last this many events are kept ... */
  readonly historyMinEvents: number
  /** ... and everything younger than this ... */
  readonly historyMinAgeMs: number
  /** ... but never more than this many events ... */
  readonly historyMaxEvents: number
  /** ... nor more than this many UTF-8 bytes of encoded frames (wins over the minimums) */
  readonly historyMaxBytes: number
}>() {
  /** The defaults. */
  static readonly defaults: HistorySettings["Type"] = {
    historyMinEvents: 1000,
    historyMinAgeMs: 10 * 60_000,
    historyMaxEvents: 10_000,
    historyMaxBytes: 4 * 1024 * 1024
  }

  /** The settings from the environment: each a count of zero or more, the minimum count within the maximum. */
  static readonly config: Config.Config<HistorySettings["Type"]> = Config.all({
    historyMinEvents: count("HISTORY_MIN_EVENTS", HistorySettings.defaults.historyMinEvents),
    historyMinAgeMs: count("HISTORY_MIN_AGE_MS", HistorySettings.defaults.historyMinAgeMs),
    historyMaxEvents: count("HISTORY_MAX_EVENTS", HistorySettings.defaults.historyMaxEvents),
    historyMaxBytes: count("HISTORY_MAX_BYTES", HistorySettings.defaults.historyMaxBytes)
  }).pipe(
    Config.validate({
      message: "HISTORY_MIN_EVENTS must not be above HISTORY_MAX_EVENTS",
      validation: (settings) => settings.historyMinEvents <= settings.historyMaxEvents
    })
  )

  /** Settings from the environment. */
  static readonly layer: Layer.Layer<HistorySettings, ConfigError.ConfigError> = Layer.effect(
    HistorySettings,
    HistorySettings.config
  )

  /** The bounds a history store keeps, from these settings. */
  static toOptions(settings: HistorySettings["Type"]): HistoryOptions {
    return {
      minEvents: settings.historyMinEvents,
      minAgeMs: settings.historyMinAgeMs,
      maxEvents: settings.historyMaxEvents,
      maxBytes: settings.historyMaxBytes
    }
  }

  /** The defaults with `overrides` (tests, embedding). */
  static layerWith(overrides: Partial<HistorySettings["Type"]> = {}): Layer.Layer<HistorySettings> {
    return Layer.succeed(HistorySettings, { ...HistorySettings.defaults, ...overrides })
  }
}
