import { setTimeout as sleep } from "node:timers/promises"
import { readRssKiB } from "../proc-read.js"
import { median } from "../stats.js"

/** The server's RSS (KiB): the median of `samples` readings `gapMs` apart (RSS wobbles with GC). */
export const sampleRssKiB = async (pid: number, samples = 5, gapMs = 200): Promise<number | null> => {
  const readings: Array<number | undefined> = []
  for (let i = 0; i < samples; i++) {
    if (i > 0) await sleep(gapMs)
    readings.push(readRssKiB(pid))
  }
  return median(readings)
}
