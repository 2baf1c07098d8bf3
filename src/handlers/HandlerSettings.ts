import { Config, type ConfigError, Context, Layer } from "effect"
import * as QualityAlert from "../agent/quality/QualityAlert.js"
import * as ResponseValidation from "../agent/quality/ResponseValidation.js"
import * as CommaList from "../protocol/CommaList.js"

/**
 * The operator's policy for the built-in handlers: the `quality_*` rules
 * (`QUALITY_*`) and the log budget of client `error` reports
 * (`CLIENT_ERROR_LOG_PER_SEC`).
 */
export class HandlerSettings extends Context.Tag("switchyard/HandlerSettings")<HandlerSettings, {
  /** `quality_validation`'s `banned_phrase` rule: phrases an AI answer must not contain */
  readonly qualityBannedPhrases: ReadonlyArray<string>
  /** `quality_validation`'s `max_length` rule: the longest allowed answer, in characters */
  readonly qualityMaxLength: number
  /** `quality_alert`: the rolling window of runs a subscription looks at, seconds */
  readonly qualityAlertWindowS: number
  /** `quality_alert`: finished runs needed in the window before a breach is declared */
  readonly qualityAlertMinRuns: number
  /** `error` reports (client-side errors) logged per second by this process; the rest are counted */
  readonly clientErrorLogPerSec: number
}>() {
  /** The defaults: the quality rules' own. */
  static readonly defaults: HandlerSettings["Type"] = {
    qualityBannedPhrases: [],
    qualityMaxLength: ResponseValidation.DEFAULT_MAX_LENGTH,
    qualityAlertWindowS: QualityAlert.DEFAULT_WINDOW_S,
    qualityAlertMinRuns: QualityAlert.DEFAULT_MIN_FINISHED,
    clientErrorLogPerSec: 5
  }

  /** The settings from the environment. */
  static readonly config: Config.Config<HandlerSettings["Type"]> = Config.all({
    qualityBannedPhrases: Config.withDefault(
      CommaList.config("QUALITY_BANNED_PHRASES"),
      HandlerSettings.defaults.qualityBannedPhrases
    ),
    qualityMaxLength: Config.withDefault(Config.integer("QUALITY_MAX_LENGTH"), HandlerSettings.defaults.qualityMaxLength),
    qualityAlertWindowS: Config.withDefault(
      Config.integer("QUALITY_ALERT_WINDOW_S"),
      HandlerSettings.defaults.qualityAlertWindowS
    ),
    qualityAlertMinRuns: Config.withDefault(
      Config.integer("QUALITY_ALERT_MIN_RUNS"),
      HandlerSettings.defaults.qualityAlertMinRuns
    ),
    clientErrorLogPerSec: Config.withDefault(
      Config.number("CLIENT_ERROR_LOG_PER_SEC"),
      HandlerSettings.defaults.clientErrorLogPerSec
    )
  })

  /** Settings from the environment. */
  static readonly layer: Layer.Layer<HandlerSettings, ConfigError.ConfigError> = Layer.effect(
    HandlerSettings,
    HandlerSettings.config
  )

  /** The defaults with `overrides` (tests, embedding). */
  static layerWith(overrides: Partial<HandlerSettings["Type"]> = {}): Layer.Layer<HandlerSettings> {
    return Layer.succeed(HandlerSettings, { ...HandlerSettings.defaults, ...overrides })
  }
}
