import { describe, expect, it } from "vitest"
import { parseMaxOpenFiles, parseProcStat, parseVmRssKiB, totalTicks } from "../../scripts/bench/proc-parse.js"

// a real /proc/<pid>/stat line of a node process (utime 1523, stime 311)
const statLine =
  "4242 (node) S 4200 4242 4200 34816 4242 4194560 52431 0 12 0 1523 311 0 0 20 0 11 0 123456 1234567890 45678 " +
  "18446744073709551615 1 1 0 0 0 0 0 16781312 134235650 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0\n"

describe("parseProcStat", () => {
  it("reads utime and stime (fields 14 and 15)", () => {
    const ticks = parseProcStat(statLine)
    expect(ticks).toEqual({ utime: 1523, stime: 311 })
    expect(totalTicks(ticks)).toBe(1834)
  })

  it("copes with spaces and parentheses in the command name", () => {
    const line = statLine.replace("(node)", "(my (weird) proc)")
    expect(parseProcStat(line)).toEqual({ utime: 1523, stime: 311 })
  })

  it("rejects text that is not a stat line", () => {
    expect(() => parseProcStat("garbage")).toThrow()
    expect(() => parseProcStat("1 (x) S 2 3")).toThrow()
  })
})

describe("parseVmRssKiB", () => {
  const status = "Name:\tnode\nVmPeak:\t 1101932 kB\nVmSize:\t 1036400 kB\nVmHWM:\t   91236 kB\nVmRSS:\t   80512 kB\nRssAnon:\t   40000 kB\n"

  it("reads VmRSS in KiB", () => {
    expect(parseVmRssKiB(status)).toBe(80512)
  })

  it("is undefined without a VmRSS line (a zombie)", () => {
    expect(parseVmRssKiB("Name:\tnode\nState:\tZ (zombie)\n")).toBeUndefined()
  })
})

describe("parseMaxOpenFiles", () => {
  it("reads the soft and hard limits", () => {
    const limits = "Limit                     Soft Limit           Hard Limit           Units     \n" +
      "Max processes             95420                95420                processes \n" +
      "Max open files            1024                 524288               files     \n"
    expect(parseMaxOpenFiles(limits)).toEqual({ soft: 1024, hard: 524288 })
  })

  it("reads unlimited as Infinity", () => {
    expect(parseMaxOpenFiles("Max open files            unlimited            unlimited            files\n")).toEqual({
      soft: Number.POSITIVE_INFINITY,
      hard: Number.POSITIVE_INFINITY
    })
  })
})
