/**
 * The stages of a migrating message type (PROTOCOL §8), from the safe side
 * (`legacy_only`) to the finished move (`next_only`), and the seed names
 * (`testing`, `dual_mode`, `ssot_primary`, `ssot_only`) accepted as aliases.
 *
 * @since 0.1.0
 */
import { Option, Schema } from "effect"

/**
 * The stages, in the order a team moves through them.
 *
 * @since 0.1.0
 */
export const stages = ["legacy_only", "shadow", "canary", "next_primary", "next_only"] as const

/**
 * A stage, by its canonical (first-column) name.
 *
 * @since 0.1.0
 */
export type Stage = typeof stages[number]

/**
 * The seed names of PROTOCOL §8's second column, mapped to the canonical ones.
 *
 * @since 0.1.0
 */
export const aliases = {
  testing: "shadow",
  dual_mode: "canary",
  ssot_primary: "next_primary",
  ssot_only: "next_only"
} as const satisfies Record<string, Stage>

/**
 * One of the two implementations of a migrating type.
 *
 * @since 0.1.0
 */
export type Side = "legacy" | "next"

const names: ReadonlyMap<string, Stage> = new Map<string, Stage>([
  ...stages.map((stage) => [stage, stage] as const),
  ...Object.entries(aliases)
])

/**
 * Every accepted name (both columns), for error messages.
 *
 * @since 0.1.0
 */
export const acceptedNames: ReadonlyArray<string> = Array.from(names.keys())

/**
 * Parses a stage name from either column. Environment values are trimmed and
 * lower-cased first (`WEBSOCKET_MIGRATION_STRATEGY=SSOT_PRIMARY` works).
 *
 * @since 0.1.0
 */
export const parse = (name: string): Option.Option<Stage> => Option.fromNullable(names.get(name.trim().toLowerCase()))

/**
 * The wire schema of a stage in an admin request: either column's name in,
 * the canonical name out.
 *
 * @since 0.1.0
 */
export const StageName: Schema.Schema<Stage, string> = Schema.String.pipe(
  Schema.filter((name) => names.has(name), {
    message: () => `stage must be one of ${acceptedNames.join(", ")}`
  }),
  Schema.transform(Schema.Literal(...stages), {
    strict: true,
    decode: (name) => names.get(name)!,
    encode: (stage) => stage
  })
)

/**
 * Stages in which `next` serves users (so automatic rollback watches them).
 * Shadow is left out on purpose: there next serves nobody, and observing its
 * failures is the point of the stage.
 *
 * @since 0.1.0
 */
export const nextServes = (stage: Stage): boolean =>
  stage === "canary" || stage === "next_primary" || stage === "next_only"
