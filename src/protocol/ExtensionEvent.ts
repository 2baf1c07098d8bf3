import { Schema } from "effect"
import { BUILTIN_SERVER_TYPES } from "./BuiltinFrames.js"
import { RunId, Seq, Timestamp } from "./ServerEnvelope.js"

/**
 * A stream event of a type the protocol does not define: what a legacy
 * backend's `events` (PROTOCOL §8) or an embedder's own handlers put on the
 * user's stream. It is any type but the built-in ones, so a built-in type is
 * always held to its own schema: a malformed `agent_completed` is not an
 * extension event, it is an error.
 */

export { BUILTIN_SERVER_TYPES }

const builtin: ReadonlySet<string> = new Set(BUILTIN_SERVER_TYPES)

/**
 * The type of an extension event: 1–128 characters, not a built-in type.
 * Branded, so that TypeScript refuses a built-in type's event with an
 * off-contract payload instead of taking it for an extension event; make
 * one with {@link ExtensionType.make} (or {@link extensionEvent}).
 */
export const ExtensionType = Schema.String.pipe(
  Schema.minLength(1),
  Schema.maxLength(128),
  Schema.filter((type) => !builtin.has(type), {
    description: "a type the protocol does not define",
    jsonSchema: { not: { enum: [...BUILTIN_SERVER_TYPES] } }
  }),
  Schema.brand("switchyard/ExtensionType")
)

/** @see ExtensionType */
export type ExtensionType = typeof ExtensionType.Type

/** An extension event as it is emitted, before it has its `seq`. */
export const ExtensionEvent = Schema.Struct({
  type: ExtensionType,
  run_id: Schema.optional(RunId),
  payload: Schema.Record({ key: Schema.String, value: Schema.Unknown })
})

/** @see ExtensionEvent */
export type ExtensionEvent = typeof ExtensionEvent.Type

/** An extension event's frame: `{type, seq, run_id?, payload, ts}`. */
export const ExtensionEventFrame = Schema.Struct({
  type: ExtensionType,
  seq: Seq,
  run_id: Schema.optional(RunId),
  payload: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  ts: Timestamp
})

/** @see ExtensionEventFrame */
export type ExtensionEventFrame = typeof ExtensionEventFrame.Type

/**
 * An extension event of `type`, for the user's stream (throws on a built-in
 * type: emit those as themselves).
 *
 * ```ts
 * emitter.emit(extensionEvent("quote_updated", { price: 42 }))
 * ```
 */
export const extensionEvent = (
  type: string,
  payload: Readonly<Record<string, unknown>>,
  runId?: string
): ExtensionEvent =>
  runId === undefined
    ? { type: ExtensionType.make(type), payload }
    : { type: ExtensionType.make(type), run_id: runId, payload }
