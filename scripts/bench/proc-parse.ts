/** Parsers for the few /proc files the bench reads (pure: fed the file text). */

/** utime and stime of /proc/<pid>/stat, in clock ticks. */
export interface CpuTicks {
  readonly utime: number
  readonly stime: number
}

/**
 * Parses a /proc/<pid>/stat line. The command name (field 2) is in
 * parentheses and may hold spaces or ')', so fields are counted from the last
 * ')': after it come state (field 3) … utime (14) and stime (15).
 */
export const parseProcStat = (line: string): CpuTicks => {
  const close = line.lastIndexOf(")")
  if (close < 0) throw new Error(`not a /proc/<pid>/stat line: ${line.slice(0, 80)}`)
  const fields = line.slice(close + 1).trim().split(/\s+/)
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) {
    throw new Error(`no utime/stime in /proc/<pid>/stat line: ${line.slice(0, 80)}`)
  }
  return { utime, stime }
}

/** Total CPU ticks (user + system). */
export const totalTicks = (ticks: CpuTicks): number => ticks.utime + ticks.stime

/** VmRSS of /proc/<pid>/status in KiB; undefined when absent (e.g. a zombie). */
export const parseVmRssKiB = (status: string): number | undefined => {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)
  return match === null ? undefined : Number(match[1])
}

/** The "Max open files" soft and hard limits of /proc/<pid>/limits (Infinity for unlimited). */
export const parseMaxOpenFiles = (limits: string): { readonly soft: number; readonly hard: number } | undefined => {
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits)
  if (match === null) return undefined
  const value = (s: string): number => (s === "unlimited" ? Number.POSITIVE_INFINITY : Number(s))
  return { soft: value(match[1]!), hard: value(match[2]!) }
}
