import { describe, expect, it } from "vitest"
import { type BackplaneReading, clusterSampleOf, MAX_NODES } from "../../src/observability/ClusterSample.js"

const redis = (over: Partial<BackplaneReading> = {}): BackplaneReading => ({
  mode: "redis",
  connected: true,
  status: "connected",
  reconnects: 2,
  lagMs: 0.4567891,
  publishesQueued: 5,
  runEndsOwed: 1,
  ...over
})

describe("the cluster part of a dashboard sample", () => {
  it("lists this node first with its live counts, then every other node as it reported, by id", () => {
    const sample = clusterSampleOf("node-b", redis(), [
      { node_id: "node-c", connections: 7, users: 5 },
      // this node's own report is up to one interval old: its live counts win
      { node_id: "node-b", connections: 1, users: 1 },
      { node_id: "node-a", connections: 3, users: 2 }
    ], { connections: 4, users: 3 })
    expect(sample).toEqual({
      node_id: "node-b",
      backplane: {
        mode: "redis",
        connected: true,
        status: "connected",
        reconnects: 2,
        lag_ms: 0.457,
        publishes_queued: 5,
        run_ends_owed: 1
      },
      nodes: [
        { node_id: "node-b", connections: 4, users: 3, self: true },
        { node_id: "node-a", connections: 3, users: 2, self: false },
        { node_id: "node-c", connections: 7, users: 5, self: false }
      ],
      nodes_total: 3,
      connections_total: 14
    })
  })

  it("shows this node before its first report, and an unknown lag as null while the backplane is down", () => {
    const sample = clusterSampleOf(
      "node-a",
      redis({ connected: false, status: "reconnecting", lagMs: undefined }),
      [],
      { connections: 2, users: 2 }
    )
    expect(sample.nodes).toEqual([{ node_id: "node-a", connections: 2, users: 2, self: true }])
    expect(sample.backplane).toMatchObject({ connected: false, status: "reconnecting", lag_ms: null })
  })

  it("memory mode: the node alone, connected", () => {
    const sample = clusterSampleOf(
      "solo",
      { mode: "memory", connected: true, status: "connected", reconnects: 0, lagMs: 0, publishesQueued: 0, runEndsOwed: 0 },
      [{ node_id: "solo", connections: 0, users: 0 }],
      { connections: 1, users: 1 }
    )
    expect(sample).toMatchObject({ backplane: { mode: "memory", connected: true, lag_ms: 0 }, nodes_total: 1, connections_total: 1 })
  })

  it("lists at most MAX_NODES nodes but counts and sums them all", () => {
    const reports = Array.from({ length: MAX_NODES + 10 }, (_, i) => ({
      node_id: `node-${String(i).padStart(3, "0")}`,
      connections: 1,
      users: 1
    }))
    const sample = clusterSampleOf("me", redis(), reports, { connections: 5, users: 1 })
    expect(sample.nodes).toHaveLength(MAX_NODES)
    expect(sample.nodes[0]).toMatchObject({ node_id: "me", self: true })
    expect(sample.nodes_total).toBe(MAX_NODES + 11)
    expect(sample.connections_total).toBe(MAX_NODES + 10 + 5)
  })
})
