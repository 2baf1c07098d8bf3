import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { type CpuTicks, parseMaxOpenFiles, parseProcStat, parseVmRssKiB } from "./proc-parse.js"

/** Reading a process's CPU time and memory from /proc (Linux only). */

export const readCpuTicks = (pid: number): CpuTicks => parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"))

export const readRssKiB = (pid: number): number | undefined => {
  try {
    return parseVmRssKiB(readFileSync(`/proc/${pid}/status`, "utf8"))
  } catch {
    return undefined
  }
}

/** This process's open-file limits, if /proc tells. */
export const readOpenFileLimit = (): { readonly soft: number; readonly hard: number } | undefined => {
  try {
    return parseMaxOpenFiles(readFileSync("/proc/self/limits", "utf8"))
  } catch {
    return undefined
  }
}

/** `getconf CLK_TCK` (the unit of utime/stime); 100 when getconf is unavailable. */
export const clockTicksPerSecond = (): number => {
  try {
    const value = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim())
    return Number.isInteger(value) && value > 0 ? value : 100
  } catch {
    return 100
  }
}
