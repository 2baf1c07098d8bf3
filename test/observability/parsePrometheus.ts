/**
 * A strict parser for the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/), for tests: it
 * throws a `PrometheusParseError` naming the line on anything the format does not
 * allow, and also checks what the format requires beyond its grammar:
 *
 * - the text is empty or ends in a newline; empty lines are skipped;
 * - `# HELP` and `# TYPE` appear at most once per family, before its samples,
 *   and HELP text uses only the escapes `\\` and `\n`;
 * - every sample belongs to a family with a `# TYPE` line before it (`x` for a
 *   counter, gauge, untyped or summary quantile; `x_bucket`/`x_sum`/`x_count`
 *   for a histogram `x`; `x_sum`/`x_count` for a summary `x`), and all lines of a
 *   family form one contiguous group;
 * - label names match `[a-zA-Z_][a-zA-Z0-9_]*` and appear once per sample; label
 *   values use only the escapes `\\`, `\"` and `\n`; values are floats as Go's
 *   `ParseFloat` reads them (`NaN`, `+Inf`, `-Inf`, ...), optionally followed by an integer timestamp;
 * - no two samples share a name and label set;
 * - a counter is not negative; a histogram series has buckets in increasing `le`
 *   order with non-decreasing counts, its last bucket is `le="+Inf"`, and its
 *   `_count` equals that bucket and it has a `_sum`; a summary quantile is in
 *   [0, 1] and a summary series has `_sum` and `_count`.
 */

/** A metric family type a `# TYPE` line can declare. */
export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped"

/** One sample line: its full name (e.g. `x_bucket`), its labels and its value. */
export interface Sample {
  readonly name: string
  readonly labels: Record<string, string>
  readonly value: number
}

/** One metric family: its type (`untyped` if it only had a HELP line), HELP text if any, and samples in order. */
export interface Family {
  readonly type: MetricType
  readonly help: string | undefined
  readonly samples: Array<Sample>
}

/** A parsed exposition: the families by name, in the order they appeared. */
export interface Exposition {
  readonly families: Map<string, Family>
}

/** Thrown for text that is not valid exposition format; `line` is 1-based (0 for the text as a whole). */
export class PrometheusParseError extends Error {
  constructor(readonly line: number, readonly reason: string) {
    super(line === 0 ? reason : `line ${line}: ${reason}`)
    this.name = "PrometheusParseError"
  }
}

const metricNamePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*/
const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*/
const floatPattern = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/
const types: ReadonlyArray<MetricType> = ["counter", "gauge", "histogram", "summary", "untyped"]

/**
 * Parses a float as Go's `ParseFloat` reads it (which the format refers to):
 * decimal notation, or `NaN`/`Inf`/`Infinity` in any case with an optional sign
 * on the infinities. Go's hexadecimal floats are not accepted.
 */
const parseFloatStrict = (token: string): number | undefined => {
  if (/^nan$/i.test(token)) return NaN
  const infinity = /^([+-]?)inf(?:inity)?$/i.exec(token)
  if (infinity !== null) return infinity[1] === "-" ? -Infinity : Infinity
  return floatPattern.test(token) ? Number(token) : undefined
}

/** A character cursor over one line. */
class Cursor {
  pos = 0
  constructor(readonly text: string, readonly fail: (reason: string) => never) {}
  get done(): boolean {
    return this.pos >= this.text.length
  }
  /** The character at the cursor ("" at the end); a method, so checks on it are not narrowed. */
  peek(): string {
    return this.text[this.pos] ?? ""
  }
  /** Skips blanks and tabs; returns how many. */
  blanks(): number {
    const start = this.pos
    while (this.peek() === " " || this.peek() === "\t") this.pos++
    return this.pos - start
  }
  match(pattern: RegExp, what: string): string {
    const found = pattern.exec(this.text.slice(this.pos))
    if (found === null) this.fail(`expected ${what} at column ${this.pos + 1}`)
    this.pos += found[0].length
    return found[0]
  }
  expect(char: string): void {
    if (this.peek() !== char) this.fail(`expected '${char}' at column ${this.pos + 1}`)
    this.pos++
  }
  /** A run of non-blank characters. */
  token(what: string): string {
    const start = this.pos
    while (!this.done && this.peek() !== " " && this.peek() !== "\t") this.pos++
    if (this.pos === start) this.fail(`expected ${what} at column ${start + 1}`)
    return this.text.slice(start, this.pos)
  }
}

const unescape = (
  raw: string,
  escapes: Readonly<Record<string, string>>,
  fail: (reason: string) => never
): string => {
  let out = ""
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i]!
    if (char !== "\\") {
      out += char
      continue
    }
    const next = raw[i + 1]
    const replacement = next === undefined ? undefined : escapes[next]
    if (replacement === undefined) fail(`invalid escape sequence '\\${next ?? ""}'`)
    out += replacement
    i++
  }
  return out
}

const helpEscapes: Readonly<Record<string, string>> = { "\\": "\\", n: "\n" }

/** Reads `"..."` with label-value escapes. */
const quoted = (cursor: Cursor): string => {
  cursor.expect("\"")
  let out = ""
  for (;;) {
    if (cursor.done) cursor.fail("unterminated label value")
    const char = cursor.peek()
    cursor.pos++
    if (char === "\"") return out
    if (char !== "\\") {
      out += char
      continue
    }
    const next = cursor.peek()
    cursor.pos++
    if (next === "\\") out += "\\"
    else if (next === "\"") out += "\""
    else if (next === "n") out += "\n"
    else cursor.fail(`invalid escape sequence '\\${next}' in label value`)
  }
}

const labelsKey = (labels: Record<string, string>, without?: string): string =>
  JSON.stringify(Object.entries(labels).filter(([k]) => k !== without).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

interface Building {
  type: MetricType | undefined
  help: string | undefined
  readonly samples: Array<Sample>
  /** 1-based line of each sample, for end-of-text checks. */
  readonly lines: Array<number>
}

/**
 * Parses and validates Prometheus text exposition format 0.0.4; throws
 * `PrometheusParseError` on the first violation.
 */
export const parsePrometheus = (text: string): Exposition => {
  if (text !== "" && !text.endsWith("\n")) throw new PrometheusParseError(0, "text must end with a newline")
  const building = new Map<string, Building>()
  const closed = new Set<string>()
  const seenSeries = new Set<string>()
  let current: string | undefined

  /** Makes `name` the family being read, closing the previous one. */
  const enter = (name: string, fail: (reason: string) => never): void => {
    if (name === current) return
    if (closed.has(name)) fail(`lines of family ${name} are not grouped together`)
    if (current !== undefined) closed.add(current)
    current = name
  }
  const family = (name: string): Building => {
    const existing = building.get(name)
    if (existing) return existing
    const created: Building = { type: undefined, help: undefined, samples: [], lines: [] }
    building.set(name, created)
    return created
  }
  /** The declared family a sample name belongs to. */
  const familyOf = (sampleName: string): string | undefined => {
    const exact = building.get(sampleName)?.type
    if (exact !== undefined && exact !== "histogram") return sampleName
    for (const suffix of ["_bucket", "_sum", "_count"]) {
      if (!sampleName.endsWith(suffix)) continue
      const base = sampleName.slice(0, -suffix.length)
      const type = building.get(base)?.type
      if (type === "histogram" || (type === "summary" && suffix !== "_bucket")) return base
    }
    return undefined
  }

  const lines = text === "" ? [] : text.slice(0, -1).split("\n")
  lines.forEach((line, index) => {
    const lineNumber = index + 1
    const fail: (reason: string) => never = (reason) => {
      throw new PrometheusParseError(lineNumber, reason)
    }
    if (line === "") return
    const cursor = new Cursor(line, fail)
    cursor.blanks()

    if (cursor.peek() === "#") {
      cursor.pos++
      cursor.blanks()
      const keyword = /^(HELP|TYPE)(?=[ \t]|$)/.exec(line.slice(cursor.pos))?.[1]
      if (keyword === undefined) return // a plain comment
      cursor.pos += keyword.length
      if (cursor.blanks() === 0) fail(`expected a metric name after ${keyword}`)
      const name = cursor.match(metricNamePattern, "a metric name")
      if (!cursor.done && cursor.blanks() === 0) fail(`invalid character in metric name after '${name}'`)
      const f = family(name)
      if (f.samples.length > 0) fail(`${keyword} for ${name} after its samples`)
      enter(name, fail)
      if (keyword === "HELP") {
        if (f.help !== undefined) fail(`second HELP line for ${name}`)
        f.help = unescape(line.slice(cursor.pos), helpEscapes, fail)
      } else {
        if (f.type !== undefined) fail(`second TYPE line for ${name}`)
        const token = cursor.token("a metric type")
        const type = types.find((t) => t === token)
        if (type === undefined) fail(`unknown metric type '${token}'`)
        cursor.blanks()
        if (!cursor.done) fail("unexpected text after the metric type")
        f.type = type
      }
      return
    }

    const name = cursor.match(metricNamePattern, "a metric name")
    // a Map, so a label named `__proto__` is kept like any other
    const labelMap = new Map<string, string>()
    const hadBlank = cursor.blanks() > 0
    let needsBlank = !hadBlank
    if (cursor.peek() === "{") {
      cursor.pos++
      cursor.blanks()
      while (cursor.peek() !== "}") {
        const labelName = cursor.match(labelNamePattern, "a label name")
        cursor.blanks()
        cursor.expect("=")
        cursor.blanks()
        if (labelMap.has(labelName)) fail(`duplicate label ${labelName}`)
        labelMap.set(labelName, quoted(cursor))
        cursor.blanks()
        if (cursor.peek() === ",") {
          cursor.pos++
          cursor.blanks()
        } else if (cursor.peek() !== "}") {
          fail(`expected ',' or '}' at column ${cursor.pos + 1}`)
        }
      }
      cursor.pos++
      needsBlank = cursor.blanks() === 0
    }
    if (needsBlank) fail(`expected a blank before the value at column ${cursor.pos + 1}`)
    const valueToken = cursor.token("a value")
    const value = parseFloatStrict(valueToken)
    if (value === undefined) fail(`invalid value '${valueToken}'`)
    if (cursor.blanks() > 0 && !cursor.done) {
      const timestamp = cursor.token("a timestamp")
      if (!/^-?\d+$/.test(timestamp)) fail(`invalid timestamp '${timestamp}'`)
      cursor.blanks()
    }
    if (!cursor.done) fail(`unexpected text at column ${cursor.pos + 1}`)

    const labels: Record<string, string> = Object.fromEntries(labelMap)
    const familyName = familyOf(name)
    if (familyName === undefined) fail(`sample ${name} has no family declared with a TYPE line before it`)
    enter(familyName, fail)
    const f = family(familyName)
    const seriesId = `${name}${labelsKey(labels)}`
    if (seenSeries.has(seriesId)) fail(`duplicate sample ${name} with the same labels`)
    seenSeries.add(seriesId)

    switch (f.type) {
      case "counter":
        if (value < 0) fail(`counter ${name} is negative`)
        break
      case "histogram":
        if (name.endsWith("_bucket")) {
          const le = labels["le"]
          if (le === undefined) fail(`histogram bucket ${name} has no le label`)
          if (parseFloatStrict(le) === undefined) fail(`invalid le '${le}'`)
          if (!(value >= 0)) fail(`histogram bucket ${name} is negative or NaN`)
        } else {
          if (labels["le"] !== undefined) fail(`${name} must not have an le label`)
          if (name.endsWith("_count") && !(Number.isInteger(value) && value >= 0)) {
            fail(`histogram count ${name} is not a non-negative integer`)
          }
        }
        break
      case "summary":
        if (name === familyName) {
          const quantile = labels["quantile"]
          if (quantile === undefined) fail(`summary sample ${name} has no quantile label`)
          const q = parseFloatStrict(quantile)
          if (q === undefined || !(q >= 0 && q <= 1)) fail(`invalid quantile '${quantile}'`)
        } else if (labels["quantile"] !== undefined) {
          fail(`${name} must not have a quantile label`)
        }
        break
      default:
        break
    }
    f.samples.push({ name, labels, value })
    f.lines.push(lineNumber)
  })

  for (const [name, f] of building) {
    if (f.type === "histogram") checkHistogram(name, f)
    if (f.type === "summary") checkSummary(name, f)
  }

  const families = new Map<string, Family>()
  for (const [name, f] of building) {
    families.set(name, { type: f.type ?? "untyped", help: f.help, samples: f.samples })
  }
  return { families }
}

interface HistogramSeries {
  readonly buckets: Array<{ readonly le: number; readonly value: number; readonly line: number }>
  count?: number
  sum?: number
  readonly line: number
}

const checkHistogram = (name: string, f: Building): void => {
  const series = new Map<string, HistogramSeries>()
  f.samples.forEach((sample, i) => {
    const line = f.lines[i]!
    const id = labelsKey(sample.labels, "le")
    let s = series.get(id)
    if (s === undefined) {
      s = { buckets: [], line }
      series.set(id, s)
    }
    if (sample.name === `${name}_bucket`) {
      const le = parseFloatStrict(sample.labels["le"] ?? "") ?? NaN
      const previous = s.buckets[s.buckets.length - 1]
      if (previous !== undefined && !(le > previous.le)) {
        throw new PrometheusParseError(line, `bucket le="${sample.labels["le"]}" of ${name} is not above the previous one`)
      }
      if (previous !== undefined && sample.value < previous.value) {
        throw new PrometheusParseError(line, `buckets of ${name} are not cumulative`)
      }
      s.buckets.push({ le, value: sample.value, line })
    } else if (sample.name === `${name}_count`) {
      s.count = sample.value
    } else {
      s.sum = sample.value
    }
  })
  for (const s of series.values()) {
    const last = s.buckets[s.buckets.length - 1]
    if (last === undefined || last.le !== Infinity) {
      throw new PrometheusParseError(s.line, `histogram ${name} series does not end in an le="+Inf" bucket`)
    }
    if (s.count === undefined) throw new PrometheusParseError(s.line, `histogram ${name} series has no _count`)
    if (s.sum === undefined) throw new PrometheusParseError(s.line, `histogram ${name} series has no _sum`)
    if (s.count !== last.value) {
      throw new PrometheusParseError(last.line, `${name}_count ${s.count} differs from its +Inf bucket ${last.value}`)
    }
  }
}

const checkSummary = (name: string, f: Building): void => {
  const series = new Map<string, { count: boolean; sum: boolean; line: number }>()
  f.samples.forEach((sample, i) => {
    const id = labelsKey(sample.labels, "quantile")
    const s = series.get(id) ?? { count: false, sum: false, line: f.lines[i]! }
    if (sample.name === `${name}_count`) s.count = true
    if (sample.name === `${name}_sum`) s.sum = true
    series.set(id, s)
  })
  for (const s of series.values()) {
    if (!s.count || !s.sum) throw new PrometheusParseError(s.line, `summary ${name} series lacks _sum or _count`)
  }
}
