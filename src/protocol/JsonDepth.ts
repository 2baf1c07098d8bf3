/**
 * Bounds the nesting depth of a JSON text before it is parsed (PROTOCOL §10,
 * `MAX_JSON_DEPTH`): whatever recurses over a parsed value later (encoders,
 * loggers, a legacy backend's request body) would overflow the stack on a
 * frame nested thousands of levels deep. One linear scan of the raw text.
 */

/** The default `MAX_JSON_DEPTH`: the frame object itself is level 1, its payload level 2. */
export const DEFAULT_MAX_JSON_DEPTH = 64

const QUOTE = 34
const BACKSLASH = 92
const OPEN_BRACKET = 91
const CLOSE_BRACKET = 93
const OPEN_BRACE = 123
const CLOSE_BRACE = 125
const COLON = 58
const COMMA = 44

/**
 * The index just past the string literal opening at `start`, or -1 when it
 * never ends. Jumps from quote to quote (native `indexOf`); a quote preceded
 * by an odd run of backslashes is escaped. Each backslash is counted once.
 */
const stringEnd = (text: string, start: number): number => {
  let quote = start
  while (true) {
    quote = text.indexOf("\"", quote + 1)
    if (quote === -1) return -1
    let k = quote - 1
    while (text.charCodeAt(k) === BACKSLASH) k--
    if ((quote - 1 - k) % 2 === 0) return quote + 1
  }
}

/**
 * The index of the first `[` or `{` (outside strings) that opens level
 * `maxDepth + 1`, or -1 when the text never nests that deep. Malformed text
 * is left to `JSON.parse` to reject.
 */
export const firstTooDeep = (text: string, maxDepth: number): number => {
  // fewer characters than levels: it cannot nest deeper (most frames stop here)
  if (text.length <= maxDepth) return -1
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      const end = stringEnd(text, i)
      if (end === -1) return -1
      i = end - 1
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > maxDepth) return i
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--
    }
  }
  return -1
}

/** What a too-deep frame's top level says, read without parsing the frame. */
export interface TopLevel {
  /** the top-level `id`, when it is a string (last one wins, as in `JSON.parse`) */
  readonly id: string | undefined
  /** the top-level member that holds the index `at` (e.g. `payload`) */
  readonly key: string | undefined
}

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13

// a string literal's value; only short slices of the text are parsed (keys, the id)
const literal = (text: string, start: number, end: number): string | undefined => {
  try {
    const value: unknown = JSON.parse(text.slice(start, end))
    return typeof value === "string" ? value : undefined
  } catch {
    return undefined
  }
}

/**
 * Reads the top-level members of an object text, one linear scan, to answer
 * a frame rejected for its depth with its `id` and the member that was too deep.
 */
export const topLevelAt = (text: string, at: number): TopLevel => {
  let depth = 0
  let expectKey = false
  let key: string | undefined = undefined
  let valueOf: string | undefined = undefined
  let id: string | undefined = undefined
  let holder: string | undefined = undefined
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (isSpace(c)) continue
    if (depth === 1 && valueOf !== undefined && c !== QUOTE) {
      // a top-level value that is not a string: an `id` of the wrong type is no id
      if (valueOf === "id") id = undefined
      valueOf = undefined
    }
    if (c === QUOTE) {
      const end = stringEnd(text, i)
      if (end === -1) break
      if (depth === 1 && expectKey) {
        key = literal(text, i, end)
        expectKey = false
      } else if (depth === 1 && valueOf !== undefined) {
        if (valueOf === "id") id = literal(text, i, end)
        valueOf = undefined
      }
      i = end - 1
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      depth++
      if (depth === 1) expectKey = c === OPEN_BRACE
      if (i === at) holder = depth === 1 ? undefined : key
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--
    } else if (depth === 1 && c === COLON) {
      valueOf = key
    } else if (depth === 1 && c === COMMA) {
      expectKey = true
    }
  }
  return { id, key: holder }
}
