/**
 * The operator's view of the cluster in a dashboard sample (issue 14): this
 * node's id, its backplane's state (with what Redis has not settled yet:
 * events queued for it, runs' ends owed) and every live node's connection counts.
 * Pure, and typed by shape only (this layer sits below `store/`, where the
 * cluster view gathers these): the feed brings the view's readings.
 */

/** The backplane as the cluster view reads it (`store/ClusterView`'s `BackplaneState`). */
export interface BackplaneReading {
  readonly mode: "memory" | "redis"
  readonly connected: boolean
  readonly status: "connecting" | "connected" | "reconnecting" | "closed"
  readonly reconnects: number
  readonly lagMs: number | undefined
  readonly publishesQueued: number
  readonly runEndsOwed: number
}

/** What one node last reported of itself (the fields of `store/ClusterView`'s `NodeReport` shown here). */
export interface NodeReading {
  readonly node_id: string
  readonly connections: number
  readonly users: number
}

/** One node in the sample. */
export interface ClusterNode {
  readonly node_id: string
  readonly connections: number
  readonly users: number
  /** this node (its counts are live, the others' as they last reported, every 2 s) */
  readonly self: boolean
}

/** The cluster part of a sample (sent as JSON over SSE). */
export interface ClusterSample {
  readonly node_id: string
  readonly backplane: {
    readonly mode: "memory" | "redis"
    readonly connected: boolean
    readonly status: "connecting" | "connected" | "reconnecting" | "closed"
    readonly reconnects: number
    /** round trip of the latest pub/sub probe; null before the first or while down */
    readonly lag_ms: number | null
    /** stream events handed over to Redis and not settled yet: more than a few while Redis is slow */
    readonly publishes_queued: number
    /** runs whose end Redis has not confirmed yet (published again once it answers) */
    readonly run_ends_owed: number
  }
  /** live nodes, this one first, then by id; at most `MAX_NODES` */
  readonly nodes: ReadonlyArray<ClusterNode>
  /** every live node, also those past `MAX_NODES` */
  readonly nodes_total: number
  /** over every live node (users are not summed: one user may be connected to several nodes) */
  readonly connections_total: number
}

/** Nodes listed in one sample, at most: a sample goes to every viewer each second, so its size is bounded. */
export const MAX_NODES = 32

/**
 * The cluster sample: `local` are this node's counts now (they replace its
 * own report, which is up to one report interval old, and stand in for it
 * before the first report); the other nodes as they reported.
 */
export const clusterSampleOf = (
  nodeId: string,
  backplane: BackplaneReading,
  reports: ReadonlyArray<NodeReading>,
  local: { readonly connections: number; readonly users: number }
): ClusterSample => {
  const others = reports
    .filter((node) => node.node_id !== nodeId)
    .map((node): ClusterNode => ({ node_id: node.node_id, connections: node.connections, users: node.users, self: false }))
    .sort((a, b) => (a.node_id < b.node_id ? -1 : a.node_id > b.node_id ? 1 : 0))
  const all: Array<ClusterNode> = [{ node_id: nodeId, ...local, self: true }, ...others]
  return {
    node_id: nodeId,
    backplane: {
      mode: backplane.mode,
      connected: backplane.connected,
      status: backplane.status,
      reconnects: backplane.reconnects,
      lag_ms: backplane.lagMs === undefined ? null : Math.round(backplane.lagMs * 1000) / 1000,
      publishes_queued: backplane.publishesQueued,
      run_ends_owed: backplane.runEndsOwed
    },
    nodes: all.slice(0, MAX_NODES),
    nodes_total: all.length,
    connections_total: all.reduce((sum, node) => sum + node.connections, 0)
  }
}
