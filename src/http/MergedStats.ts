import { Option, Schema } from "effect"
import type { Entry, SideStats } from "../migration/MigrationControl.js"
import type { NodeReport } from "../store/ClusterView.js"

/**
 * `GET /admin/migrations` across the cluster: this node's entries, their
 * statistics summed with every other live node's latest report (each node
 * reports its own every 2 s, kept 10 s). Counts, errors, fallbacks and shadow
 * mismatches are sums; `p50_ms`/`p95_ms` are the nodes' percentiles weighted
 * by their counts — an approximation (percentiles do not add), exact when one
 * node served the type. Stage, canary percent and rollback are shared (the
 * StageStore); the breaker is this node's.
 */
export const merge = (
  local: Record<string, Entry>,
  selfId: string,
  nodes: ReadonlyArray<NodeReport>
): Record<string, Entry> => {
  const others = nodes.filter((node) => node.node_id !== selfId)
  if (others.length === 0) return local
  const merged: Record<string, Entry> = {}
  for (const [type, entry] of Object.entries(local)) {
    const remote = others.flatMap((node) => Option.toArray(statsOf(node.migrations[type])))
    merged[type] = {
      ...entry,
      stats: {
        legacy: side([entry.stats.legacy, ...remote.map((stats) => stats.legacy)]),
        next: side([entry.stats.next, ...remote.map((stats) => stats.next)]),
        fallbacks: remote.reduce((sum, stats) => sum + stats.fallbacks, entry.stats.fallbacks),
        shadow_mismatches: remote.reduce((sum, stats) => sum + stats.shadow_mismatches, entry.stats.shadow_mismatches)
      }
    }
  }
  return merged
}

// (typed as `SideStats` and `Entry["stats"]`, so they cannot drift apart from what this node reports)
const SideStatsSchema: Schema.Schema<SideStats> = Schema.Struct({
  count: Schema.NonNegative,
  errors: Schema.NonNegative,
  p50_ms: Schema.NonNegative,
  p95_ms: Schema.NonNegative
})
const EntryStatsSchema: Schema.Schema<Entry["stats"]> = Schema.Struct({
  legacy: SideStatsSchema,
  next: SideStatsSchema,
  fallbacks: Schema.NonNegative,
  shadow_mismatches: Schema.NonNegative
})

// another node's entry of a type: its statistics, if they are there and read as this version's (a node of
// another version may report another shape; what does not decode is not summed)
const statsOf: (entry: unknown) => Option.Option<Entry["stats"]> = Schema.decodeUnknownOption(
  Schema.Struct({ stats: EntryStatsSchema }).pipe(Schema.pluck("stats"))
)

const side = (all: ReadonlyArray<SideStats>): SideStats => {
  const count = all.reduce((sum, stats) => sum + stats.count, 0)
  const weighted = (pick: (stats: SideStats) => number) =>
    count === 0 ? 0 : Math.round(all.reduce((sum, stats) => sum + pick(stats) * stats.count, 0) / count)
  return {
    count,
    errors: all.reduce((sum, stats) => sum + stats.errors, 0),
    p50_ms: weighted((stats) => stats.p50_ms),
    p95_ms: weighted((stats) => stats.p95_ms)
  }
}
