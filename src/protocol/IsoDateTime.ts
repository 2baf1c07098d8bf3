import { Schema } from "effect"

// date, optional time (with optional seconds and fraction), optional zone
const PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/

// Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not
const utc = (year: number, monthIndex: number, day: number, hour = 0, minute = 0, second = 0, millis = 0): number => {
  const date = new Date(0)
  date.setUTCFullYear(year, monthIndex, day)
  date.setUTCHours(hour, minute, second, millis)
  return date.getTime()
}

const daysIn = (year: number, month: number): number => new Date(utc(year, month, 0)).getUTCDate()

/**
 * Parses an ISO-8601 calendar date or date-time (`2026-11-23`,
 * `2026-11-23T10:00Z`, `2026-11-23T10:00:00.123+02:00`) to epoch milliseconds;
 * `undefined` for anything else, impossible dates (`2026-02-30`) included.
 * A date-time without a zone is read as UTC, so the answer does not depend on
 * the server's time zone (`Date.parse` would read it as local time).
 */
export const parseIsoDateTime = (text: string): number | undefined => {
  const match = PATTERN.exec(text)
  if (match === null) return undefined
  const [, y, mo, d, h, mi, s, fraction, zone] = match
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = h === undefined ? 0 : Number(h)
  const minute = mi === undefined ? 0 : Number(mi)
  const second = s === undefined ? 0 : Number(s)
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined
  const millis = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000)
  let offsetMinutes = 0
  if (zone !== undefined && zone !== "Z" && zone !== "z") {
    const digits = zone.slice(1).replace(":", "")
    const zoneHours = Number(digits.slice(0, 2))
    const zoneMinutes = digits.length > 2 ? Number(digits.slice(2)) : 0
    if (zoneHours > 23 || zoneMinutes > 59) return undefined
    offsetMinutes = (zone.startsWith("-") ? -1 : 1) * (zoneHours * 60 + zoneMinutes)
  }
  return utc(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000
}

/** A string that {@link parseIsoDateTime} accepts; a bad one is an `INVALID_MESSAGE` naming its path. */
export const IsoDateTime = Schema.String.pipe(
  Schema.filter((text) => parseIsoDateTime(text) !== undefined, {
    description: "an ISO-8601 date-time such as 2026-11-23T10:00:00Z"
  })
)
