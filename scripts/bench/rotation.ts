/**
 * Repetitions of several set-ups, the order rotating every repetition (no
 * set-up always runs first, on a cold machine, or last, on a warm one). A run
 * that fails counts as a missing repetition, with a note saying why.
 */
import { medianOfReps, type TargetRuns, type TargetSummary } from "./report.js"
import type { Metrics, RunResult } from "./task.js"

/** What a set-up needs to be repeated: its key in the results and its label in the progress lines. */
export interface RotatingSetup<K extends string> {
  readonly key: K
  readonly label: string
}

/**
 * Runs each of `setups` `reps` times, rotating; each result's `glimpse` goes
 * to stderr as it comes. Returns every key of `keys` with its repetitions,
 * notes and medians (a key none of `setups` has: no repetitions).
 */
export const runRotating = async <K extends string, S extends RotatingSetup<K>>(options: {
  readonly scenario: string
  readonly keys: ReadonlyArray<K>
  readonly setups: ReadonlyArray<S>
  readonly reps: number
  readonly run: (setup: S, rep: number) => Promise<RunResult>
  readonly glimpse: (metrics: Metrics) => string
}): Promise<Record<K, TargetSummary>> => {
  const { keys, reps, scenario, setups } = options
  const runs = Object.fromEntries(keys.map((key): [K, TargetRuns] => [key, { reps: [], notes: [] }])) as Record<K, TargetRuns>
  for (let rep = 1; rep <= reps; rep++) {
    const shift = (rep - 1) % setups.length
    for (const setup of [...setups.slice(shift), ...setups.slice(0, shift)]) {
      process.stderr.write(`[${rep}/${reps}] ${scenario} · ${setup.label}\n`)
      try {
        const result = await options.run(setup, rep)
        runs[setup.key].reps.push(result.metrics)
        runs[setup.key].notes.push(...result.notes.map((n) => `rep ${rep}: ${n}`))
        process.stderr.write(`    ${options.glimpse(result.metrics)}\n`)
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err)
        runs[setup.key].reps.push(null)
        runs[setup.key].notes.push(`rep ${rep}: failed: ${message}`)
        process.stderr.write(`    FAILED: ${message}\n`)
      }
    }
  }
  return Object.fromEntries(
    keys.map((key): [K, TargetSummary] => [key, { ...runs[key], median: medianOfReps(runs[key].reps) }])
  ) as Record<K, TargetSummary>
}
