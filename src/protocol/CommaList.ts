import { Config } from "effect"

/**
 * A "comma list" setting, as PROTOCOL names them (`LEGACY_TYPES`,
 * `SSOT_ENABLED_MESSAGE_TYPES`, `ALLOWED_ORIGINS`, ...): "a, b,,c " → ["a", "b", "c"].
 * Blanks around and between commas are not items.
 */
export const parse = (value: string): ReadonlyArray<string> =>
  value.split(",").map((item) => item.trim()).filter((item) => item.length > 0)

/** The comma list in the variable `name`. */
export const config = (name: string): Config.Config<ReadonlyArray<string>> => Config.map(Config.string(name), parse)
