import { defineConfig } from "vitest/config"

/**
 * Files that read the process-wide metric registry (directly, on /metrics or
 * in the dashboard's totals) and assert what a fresh process shows: each runs
 * in a worker of its own.
 */
const freshRegistry = [
  "test/e2e/Dashboard.test.ts",
  "test/e2e/DashboardBrowser.test.ts",
  "test/e2e/Metrics.test.ts",
  "test/observability/DashboardStats.test.ts",
  "test/observability/Prometheus.test.ts"
]

export default defineConfig({
  test: {
    setupFiles: ["test/support/noSecretsInLogs.ts", "test/support/checkFrameContract.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The rest share their worker processes and modules: loading `effect` and the service once per worker,
    // not once per file, halves the suite's time. Each test still makes its own layers, servers and Redis prefixes.
    poolOptions: { forks: { isolate: false } },
    projects: [
      {
        extends: true,
        test: {
          name: "shared",
          pool: "forks",
          include: ["test/**/*.test.ts"],
          exclude: freshRegistry,
          sequence: { groupOrder: 0 }
        }
      },
      // after the rest, not beside them (timing-based tests run alone), in worker threads, each file in a new one
      // (the threads pool isolates by default): a registry of its own
      {
        extends: true,
        test: { name: "fresh-registry", pool: "threads", include: freshRegistry, sequence: { groupOrder: 1 } }
      }
    ]
  }
})
