/**
 * JSON text of any value, cut to a budget, for logs: it never throws and its
 * work is bounded by the budget, whatever the value (deep, huge, cyclic,
 * BigInt, throwing getters, proxies). Cut parts read `"…"`; the text stays
 * valid JSON. What a client sends, or a handler fails with, is logged through it.
 */

/** How much of a value to write. */
export interface Budget {
  /** characters, roughly (a cut structure still gets its closing brackets) */
  readonly maxChars: number
  /** nesting levels written; deeper values become `"…"` */
  readonly maxDepth: number
}

const CUT = "\"…\""

/** `value` as JSON text of about `budget.maxChars` characters at most. */
export const boundedJson = (value: unknown, budget: Budget): string => {
  const out: Array<string> = []
  const state = { left: budget.maxChars }
  try {
    write(value, budget.maxDepth, out, state, new Set())
  } catch {
    return "\"[unloggable value]\""
  }
  return out.join("")
}

interface State {
  left: number
}

const emit = (out: Array<string>, state: State, text: string): void => {
  out.push(text)
  state.left -= text.length
}

// a string, cut to what is left of the budget before it is escaped (so a 1 MiB string costs little)
const writeString = (s: string, out: Array<string>, state: State): void => {
  const room = Math.max(0, state.left - 2)
  emit(out, state, JSON.stringify(s.length > room ? `${s.slice(0, room)}…` : s))
}

const write = (value: unknown, depth: number, out: Array<string>, state: State, seen: Set<object>): void => {
  if (state.left <= 0) return emit(out, state, CUT)
  switch (typeof value) {
    case "string":
      return writeString(value, out, state)
    case "number":
      return emit(out, state, Number.isFinite(value) ? String(value) : "null")
    case "boolean":
      return emit(out, state, String(value))
    case "bigint":
      return writeString(`${value}n`, out, state)
    case "undefined":
      return emit(out, state, "null")
    case "function":
    case "symbol":
      return writeString(`[${typeof value}]`, out, state)
  }
  if (value === null) return emit(out, state, "null")
  const object = value as object
  if (depth <= 0 || seen.has(object)) return emit(out, state, CUT)
  if (object instanceof Error) return writeString(`${object.name}: ${object.message}`, out, state)
  if (object instanceof Date) return writeString(safely(() => object.toISOString()), out, state)
  seen.add(object)
  const toJSON = safely(() => (object as { toJSON?: unknown }).toJSON)
  if (typeof toJSON === "function") {
    // effect's data types (Option, Exit, Cause, ...) say what they are this way
    write(safely(() => toJSON.call(object) as unknown), depth - 1, out, state, seen)
    seen.delete(object)
    return
  }
  if (Array.isArray(object)) {
    emit(out, state, "[")
    for (let i = 0; i < object.length; i++) {
      if (i > 0) emit(out, state, ",")
      if (state.left <= 0) {
        emit(out, state, CUT)
        break
      }
      write(safely(() => object[i]), depth - 1, out, state, seen)
    }
    emit(out, state, "]")
  } else {
    emit(out, state, "{")
    let first = true
    // for-in stops early: a huge object costs what the budget allows, not its size
    for (const key in object) {
      if (!Object.prototype.hasOwnProperty.call(object, key)) continue
      if (!first) emit(out, state, ",")
      first = false
      if (state.left <= 0) {
        emit(out, state, `${CUT}:${CUT}`)
        break
      }
      writeString(key, out, state)
      emit(out, state, ":")
      write(safely(() => (object as Record<string, unknown>)[key]), depth - 1, out, state, seen)
    }
    emit(out, state, "}")
  }
  seen.delete(object)
}

// a getter or proxy that throws is logged as what it is
const safely = <A>(f: () => A): A | string => {
  try {
    return f()
  } catch {
    return "[unreadable]"
  }
}
