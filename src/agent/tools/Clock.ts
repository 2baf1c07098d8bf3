/**
 * The `clock` tool: the current date and time in a timezone, read from
 * effect's `Clock` so that `TestClock` drives it in tests. Also heuristics to
 * tell whether a chat message asks for the time and in which timezone.
 */
import { Clock, Effect, Schema } from "effect"
import * as Tool from "../Tool.js"

/** The timezone used when the caller names none. */
export const DEFAULT_TIMEZONE = "UTC"

/** Longest timezone name looked up (the longest IANA name has 32 characters). */
export const MAX_TIMEZONE_LENGTH = 64

/**
 * Candidates a message's timezone is looked for among, at most, of each kind:
 * each costs an `Intl` lookup, so a message of many zone-like words must not
 * cost one per word.
 */
export const MAX_TIMEZONE_CANDIDATES = 8

/**
 * The canonical IANA name of `timezone` ("europe/paris" → "Europe/Paris"), or
 * `undefined` when the runtime does not know it.
 */
export const canonicalTimezone = (timezone: string): string | undefined => {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: timezone }).resolvedOptions().timeZone
  } catch {
    return undefined // RangeError: invalid time zone
  }
}

/** The `clock` tool's input. */
export const ClockInput = Schema.Struct({
  timezone: Schema.optional(
    Schema.String.annotations({
      description: `An IANA timezone such as "Europe/Paris" or "America/New_York"; defaults to ${DEFAULT_TIMEZONE}.`
    })
  )
})

/** The `clock` tool's output: `iso` is UTC, `text` is the wall-clock time in `timezone`. */
export interface ClockOutput {
  readonly iso: string
  readonly timezone: string
  readonly text: string
}

/** The `clock` tool; an unknown timezone is a `ToolError`. */
export const ClockTool = Tool.make({
  name: "clock",
  description: "Returns the current date and time, optionally in a given IANA timezone.",
  input: ClockInput,
  run: ({ timezone }) =>
    Effect.gen(function*() {
      const requested = timezone?.trim() || DEFAULT_TIMEZONE
      // a name longer than any zone's is not looked up, nor echoed whole
      const zone = requested.length > MAX_TIMEZONE_LENGTH ? undefined : canonicalTimezone(requested)
      if (zone === undefined) {
        const shown = requested.length > MAX_TIMEZONE_LENGTH ? `${requested.slice(0, MAX_TIMEZONE_LENGTH)}...` : requested
        return yield* new Tool.ToolError({ tool: "clock", message: `unknown timezone "${shown}"` })
      }
      const date = new Date(yield* Clock.currentTimeMillis)
      const text = new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        dateStyle: "full",
        timeStyle: "long"
      }).format(date)
      return { iso: date.toISOString(), timezone: zone, text } satisfies ClockOutput
    })
})

const TIME_QUESTIONS: ReadonlyArray<RegExp> = [
  /\bwhat\s+time\b/i, // "what time is it (in Tokyo)"
  /\b(?:current|local)\s+(?:time|date|day)\b/i, // "current time in Europe/Paris"
  /\bwhat(?:'s|’s|\s+is|s)\s+(?:the\s+)?(?:time|date|day)\b/i, // "what's the date today"
  /\bwhat\s+(?:day|date|month|year)\s+is\s+(?:it|today)\b/i,
  /\btoday'?s\s+date\b/i,
  /\b(?:time|date)\s+(?:is\s+it\s+)?(?:right\s+)?now\b/i, // "time now", "date right now"
  /\btell\s+me\s+the\s+(?:time|date)\b/i,
  /\bwhat\s+is\s+today\b/i
]

/** Whether a chat message asks for the current time or date. */
export const mentionsTime = (text: string): boolean => TIME_QUESTIONS.some((pattern) => pattern.test(text))

// "Europe/Paris", "America/Argentina/Buenos_Aires", "Etc/GMT+5", and the bare UTC / GMT
const ZONE_LIKE = /(?<![\w/])(?:[A-Za-z][A-Za-z_]*(?:\/[A-Za-z0-9_+-]+)+|UTC|GMT)(?![\w/])/gi

// city → zone ("Tokyo" → "Asia/Tokyo"), built once from the runtime's zone list
let cities: ReadonlyMap<string, string> | undefined
const cityZones = (): ReadonlyMap<string, string> => {
  if (cities === undefined) {
    const map = new Map<string, string>()
    for (const zone of Intl.supportedValuesOf("timeZone")) {
      const city = zone.split("/").pop()!.replace(/_/g, " ")
      if (zone.includes("/") && !map.has(city)) map.set(city, zone)
    }
    cities = map
  }
  return cities
}

// a capitalised place name after "in": "in Tokyo", "in New York", "in Los Angeles?"
const IN_PLACE = /\bin\s+((?:[A-Z][\p{L}'-]*)(?:\s+[A-Z][\p{L}'-]*){0,2})/gu

/**
 * The IANA timezone a chat message mentions, canonicalised: an explicit zone
 * ("Europe/Paris", "UTC") or a capitalised city the zone database names after
 * "in" ("what time is it in Tokyo" → "Asia/Tokyo"). `undefined` when none.
 * Linear in the text: the patterns do not backtrack across it, and only the
 * first `MAX_TIMEZONE_CANDIDATES` of each kind, none longer than a zone name
 * can be, are looked up.
 */
export const extractTimezone = (text: string): string | undefined => {
  for (const candidate of firstCandidates(text.matchAll(ZONE_LIKE), 0)) {
    const zone = canonicalTimezone(candidate)
    if (zone !== undefined) return zone
  }
  for (const candidate of firstCandidates(text.matchAll(IN_PLACE), 1)) {
    // longest prefix first: "New York City" → "New York"
    const words = candidate.split(/\s+/)
    for (let n = words.length; n > 0; n--) {
      const zone = cityZones().get(words.slice(0, n).join(" "))
      if (zone !== undefined) return zone
    }
  }
  return undefined
}

// the first few matches (group `group`) short enough to be a zone or a city; the scan stops there
const firstCandidates = (matches: Iterable<RegExpMatchArray>, group: number): Array<string> => {
  const candidates: Array<string> = []
  for (const match of matches) {
    const candidate = match[group]!
    if (candidate.length <= MAX_TIMEZONE_LENGTH) candidates.push(candidate)
    if (candidates.length >= MAX_TIMEZONE_CANDIDATES) break
  }
  return candidates
}
