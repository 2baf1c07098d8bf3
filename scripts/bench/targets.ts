import type { BenchOptions } from "./options.js"

/** The two servers of a run: `service / baseline` is what the ratios mean. */
export type TargetKey = "baseline" | "service"

export interface TargetSpec {
  readonly key: TargetKey
  readonly label: string
  /** the entry node runs (a .ts one through tsx) */
  readonly entry: string
  /** env on top of PORT / HOST / JWT_SECRET */
  readonly env: Readonly<Record<string, string>>
  /** options for node itself, e.g. `--cpu-prof` */
  readonly nodeArgs?: ReadonlyArray<string>
}

export const BASELINE_ENTRY = "scripts/bench/baseline-server.ts"

/** The baseline and the service (or, with --self, a second baseline). */
export const chooseTargets = (options: BenchOptions): readonly [TargetSpec, TargetSpec] => {
  const shared = {
    AGENT_STEP_MS: String(options.stepMs),
    SESSION_GRACE_MS: "5000",
    MAX_MESSAGE_BYTES: String(1024 * 1024)
  }
  const baseline: TargetSpec = {
    key: "baseline",
    label: "baseline",
    entry: BASELINE_ENTRY,
    env: { ...shared, BASELINE_EVENTS_PER_RUN: String(options.eventsPerRun) }
  }
  const service: TargetSpec = options.self
    ? { ...baseline, key: "service", label: "baseline#2" }
    : {
      key: "service",
      label: "service",
      entry: options.serviceEntry,
      // as deployed (JSON logs), but only warnings: the bench measures the router, not the logger.
      // Every bench client comes from one address (10,000 connects in seconds): no per-address upgrade rate.
      // The per-user message rate limit stays on (its cost is measured) but out of reach: each bench user floods by design.
      env: {
        ...shared,
        NODE_ENV: "production",
        LOG_LEVEL: options.logLevel,
        UPGRADES_PER_MIN_PER_ADDRESS: "0",
        RATE_LIMIT_PER_SEC: "1000000000",
        RATE_LIMIT_BURST: "1000000000",
        // a bench user starts runs back to back, as the baseline lets it: per-user run limits off
        RUN_RATE_LIMIT_PER_MIN: "0",
        MAX_RUNS_PER_USER: "0"
      }
    }
  return [baseline, service]
}
