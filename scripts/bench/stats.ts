/** Small numeric helpers for the bench's figures; null means "no figure". */

const isFigure = (value: number | null | undefined): value is number =>
  typeof value === "number" && Number.isFinite(value)

/** The median of the finite values (mean of the middle two for an even count); null when none. */
export const median = (values: ReadonlyArray<number | null | undefined>): number | null => {
  const sorted = values.filter(isFigure).sort((a, b) => a - b)
  if (sorted.length === 0) return null
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** service / baseline; null when either is missing or the baseline is 0. */
export const ratio = (service: number | null | undefined, baseline: number | null | undefined): number | null =>
  isFigure(service) && isFigure(baseline) && baseline !== 0 ? service / baseline : null

/** Server CPU time (user + system) per message in µs, from clock ticks; null without messages. */
export const cpuMicrosPerMessage = (ticks: number, clockTicksPerSecond: number, messages: number): number | null =>
  messages > 0 && clockTicksPerSecond > 0 ? (ticks / clockTicksPerSecond) * 1e6 / messages : null

/** CPU use in % of one core over `elapsedSeconds`. */
export const cpuPercent = (ticks: number, clockTicksPerSecond: number, elapsedSeconds: number): number | null =>
  elapsedSeconds > 0 && clockTicksPerSecond > 0 ? (ticks / clockTicksPerSecond / elapsedSeconds) * 100 : null

/** count per second; null for an empty window. */
export const perSecond = (count: number, elapsedSeconds: number): number | null =>
  elapsedSeconds > 0 ? count / elapsedSeconds : null
