import { describe, expect, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { parseIsoDateTime } from "../../src/protocol/IsoDateTime.js"

describe("parseIsoDateTime", () => {
  it("reads dates and date-times with Z, offsets, fractions; no zone is UTC", () => {
    expect(parseIsoDateTime("2026-11-23")).toBe(Date.UTC(2026, 10, 23))
    expect(parseIsoDateTime("2026-11-23T10:00Z")).toBe(Date.UTC(2026, 10, 23, 10))
    expect(parseIsoDateTime("2026-11-23T10:00:05.123Z")).toBe(Date.UTC(2026, 10, 23, 10, 0, 5, 123))
    expect(parseIsoDateTime("2026-11-23T12:00:00+02:00")).toBe(Date.UTC(2026, 10, 23, 10))
    expect(parseIsoDateTime("2026-11-23T05:30:00-0430")).toBe(Date.UTC(2026, 10, 23, 10))
    expect(parseIsoDateTime("2026-11-23T10:00:00")).toBe(Date.UTC(2026, 10, 23, 10))
    expect(parseIsoDateTime("2024-02-29T00:00:00Z")).toBe(Date.UTC(2024, 1, 29))
  })

  it("refuses what is not a real ISO-8601 date-time", () => {
    for (
      const bad of [
        "",
        "yesterday",
        "1700000000",
        "2026-11-23 10:00",
        "2026-13-01",
        "2026-02-29",
        "2026-04-31",
        "2026-11-23T24:00:00Z",
        "2026-11-23T10:60Z",
        "2026-11-23T10:00:00+25:00",
        "2026-11-23T10Z",
        " 2026-11-23"
      ]
    ) {
      expect(parseIsoDateTime(bad), bad).toBeUndefined()
    }
  })

  it("reads back every Date.toISOString", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }),
        (date) => parseIsoDateTime(date.toISOString()) === date.getTime()
      )
    )
  })
})
