import { Schema } from "effect"

/**
 * The checks `quality_validation` can run on an AI response (PROTOCOL §4); a
 * payload's `rules?` field decodes against this.
 *
 * - `empty`: blank or whitespace only (zero-width spaces included).
 * - `max_length`: longer than `maxLength` (UTF-16 code units, as `String.length`
 *   and `Schema.maxLength` count).
 * - `unbalanced_code_fence`: an odd number of ``` fences (each maximal run of
 *   three or more backticks counts once, so "```js```" on one line is balanced).
 * - `leaked_credential`: something that looks like a secret (see
 *   {@link CREDENTIAL_PATTERNS}); the message never repeats the secret.
 * - `banned_phrase`: a banned phrase occurs, ignoring case and runs of whitespace.
 */
export const ValidationRule = Schema.Literal(
  "empty",
  "max_length",
  "unbalanced_code_fence",
  "leaked_credential",
  "banned_phrase"
)

/** @see ValidationRule */
export type ValidationRule = typeof ValidationRule.Type

/**
 * The thresholds of a `quality_alert` subscription (PROTOCOL §4): a breach is
 * `success_rate < min_success_rate` or `latency_ms.p95 > max_p95_ms`. A
 * threshold left out is not checked; with neither, nothing ever alerts.
 */
export const AlertThresholds = Schema.Struct({
  min_success_rate: Schema.optional(Schema.Number.pipe(
    Schema.between(0, 1),
    Schema.annotations({ description: "a number between 0 and 1" })
  )),
  max_p95_ms: Schema.optional(Schema.Number.pipe(
    Schema.nonNegative(),
    Schema.annotations({ description: "a number >= 0" })
  ))
})

/** @see AlertThresholds */
export type AlertThresholds = typeof AlertThresholds.Type
