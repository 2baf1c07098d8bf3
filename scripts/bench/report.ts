import { median, ratio } from "./stats.js"
import type { TargetKey } from "./targets.js"
import type { Metrics, ScenarioName } from "./task.js"

/** The repetitions of one scenario on one server; null: the repetition failed. */
export interface TargetRuns {
  readonly reps: Array<Metrics | null>
  readonly notes: Array<string>
}

export interface TargetSummary extends TargetRuns {
  readonly median: Metrics
}

export interface ScenarioSummary {
  readonly scenario: ScenarioName
  readonly baseline: TargetSummary
  readonly service: TargetSummary
  /** service / baseline, per metric */
  readonly ratio: Metrics
}

/** The metric names of some results, in first-seen order. */
export const metricNames = (results: ReadonlyArray<Metrics | null>): ReadonlyArray<string> => {
  const names = new Set<string>()
  for (const result of results) if (result !== null) for (const name of Object.keys(result)) names.add(name)
  return Array.from(names)
}

/** The per-metric median of the repetitions (failed ones left out). */
export const medianOfReps = (reps: ReadonlyArray<Metrics | null>): Metrics =>
  Object.fromEntries(metricNames(reps).map((name) => [name, median(reps.map((r) => r?.[name]))]))

/** service / baseline for every metric of either. */
export const ratios = (service: Metrics, baseline: Metrics): Metrics =>
  Object.fromEntries(metricNames([baseline, service]).map((name) => [name, ratio(service[name], baseline[name])]))

export const summarize = (scenario: ScenarioName, runs: Readonly<Record<TargetKey, TargetRuns>>): ScenarioSummary => {
  const baseline = { ...runs.baseline, median: medianOfReps(runs.baseline.reps) }
  const service = { ...runs.service, median: medianOfReps(runs.service.reps) }
  return { scenario, baseline, service, ratio: ratios(service.median, baseline.median) }
}
