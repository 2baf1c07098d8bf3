/**
 * Comparing what the two implementations of a migrating type did for one
 * frame (shadow stage): their result (or error) and the stream events they
 * emitted. The default comparator is structural equality that ignores ids and
 * timestamps, which legitimately differ between two correct implementations.
 *
 * @since 0.1.0
 */
import type { StreamEvent } from "../protocol/StreamEvents.js"

/**
 * What one side did for one frame: its outcome and the events it emitted.
 * `settled` is false when its work (e.g. an agent run) had not finished within
 * the shadow wait, so the events may be incomplete.
 *
 * @since 0.1.0
 */
export type Observed =
  | {
    readonly _tag: "Success"
    readonly result: unknown
    readonly events: ReadonlyArray<StreamEvent>
    readonly settled: boolean
  }
  | {
    readonly _tag: "Failure"
    readonly code: string
    readonly message: string
    readonly events: ReadonlyArray<StreamEvent>
    readonly settled: boolean
  }

/**
 * A comparator's verdict; `difference` says where the two sides first differ.
 *
 * @since 0.1.0
 */
export type Comparison = { readonly equal: true } | { readonly equal: false; readonly difference: string }

/**
 * Compares the serving (`legacy`) and the shadow (`next`) observation of one frame.
 *
 * @since 0.1.0
 */
export type Comparator = (legacy: Observed, next: Observed) => Comparison

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/

/**
 * Keys whose values are ids or times: `id`, `*_id`, `*Id`, `ts`, `timestamp`,
 * `*_at`, `*At`. Two implementations mint different run ids, tool call ids and
 * clocks without either being wrong.
 *
 * @since 0.1.0
 */
export const isIgnoredKey = (key: string): boolean =>
  key === "id" || key === "ts" || key === "timestamp" || key.endsWith("_id") || key.endsWith("Id") ||
  key.endsWith("_at") || key.endsWith("At")

/**
 * The value with ignored keys dropped (recursively) and ISO-8601 timestamps
 * replaced by a placeholder.
 *
 * @since 0.1.0
 */
export const normalize = (value: unknown): unknown => {
  if (typeof value === "string") return ISO_TIMESTAMP.test(value) ? "<timestamp>" : value
  if (Array.isArray(value)) return value.map(normalize)
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) {
      if (isIgnoredKey(key)) continue
      const field = (value as Record<string, unknown>)[key]
      if (field !== undefined) out[key] = normalize(field)
    }
    return out
  }
  return value
}

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 120 ? `${text.slice(0, 117)}...` : text
}

/**
 * The path of the first difference between two normalized values, or
 * `undefined` when they are equal.
 *
 * @since 0.1.0
 */
export const firstDifference = (a: unknown, b: unknown, path = "$"): string | undefined => {
  if (Object.is(a, b)) return undefined
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`)
      if (d !== undefined) return d
    }
    return a.length === b.length ? undefined : `${path}: ${a.length} items vs ${b.length}`
  }
  if (
    typeof a === "object" && a !== null && typeof b === "object" && b !== null && !Array.isArray(a) &&
    !Array.isArray(b)
  ) {
    const ra = a as Record<string, unknown>
    const rb = b as Record<string, unknown>
    const keys = Array.from(new Set([...Object.keys(ra), ...Object.keys(rb)])).sort()
    for (const key of keys) {
      const d = firstDifference(ra[key], rb[key], `${path}.${key}`)
      if (d !== undefined) return d
    }
    return undefined
  }
  return `${path}: ${show(a)} vs ${show(b)}`
}

const eventsOf = (observed: Observed): ReadonlyArray<unknown> =>
  observed.events.map((event) => ({ type: event.type, payload: event.payload }))

/**
 * The default comparator: one side failing where the other succeeded is a
 * mismatch; two failures match when their codes do; two successes match when
 * their results and their event lists (types and payloads, in order) are
 * structurally equal after {@link normalize}.
 *
 * @since 0.1.0
 */
export const structural: Comparator = (legacy, next) => {
  if (legacy._tag !== next._tag) {
    const describe = (o: Observed) => o._tag === "Success" ? "succeeded" : `failed with ${o.code}`
    return { equal: false, difference: `legacy ${describe(legacy)}, next ${describe(next)}` }
  }
  const outcome = legacy._tag === "Success" && next._tag === "Success"
    ? firstDifference(normalize(legacy.result), normalize(next.result), "result")
    : legacy._tag === "Failure" && next._tag === "Failure" && legacy.code !== next.code
    ? `error code: ${legacy.code} vs ${next.code}`
    : undefined
  if (outcome !== undefined) return { equal: false, difference: outcome }
  const events = firstDifference(normalize(eventsOf(legacy)), normalize(eventsOf(next)), "events")
  return events === undefined ? { equal: true } : { equal: false, difference: events }
}
