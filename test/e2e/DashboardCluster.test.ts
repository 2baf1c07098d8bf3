import { afterEach, describe, expect, it } from "vitest"
import { clusterNodes, connectTo, nodeUrl } from "../support/ClusterNodes.js"
import { readEvents } from "../support/ServerSentEvents.js"

/**
 * The operator's view of a cluster on the dashboard (issue 14, item 4): the
 * feed of one node shows its id, its backplane's state and the connection
 * counts of every live node — two `npm start` processes on one Redis.
 */

const cluster = clusterNodes()
afterEach(() => cluster.stop())

interface Node {
  readonly node_id: string
  readonly connections: number
  readonly users: number
  readonly self: boolean
}

describe("the dashboard of a node in a cluster", () => {
  it("shows this node, its Redis backplane and both nodes' connection counts in its feed", async () => {
    const [a, b] = await cluster.start(2)
    const clients = [
      await connectTo(a!, "ann"),
      await connectTo(b!, "ann"),
      await connectTo(b!, "bea"),
      await connectTo(b!, "bea")
    ]
    const nodeOf = (sample: any, id: string): Node | undefined => sample.cluster.nodes.find((node: Node) => node.node_id === id)
    // node B's counts reach A through B's report (every 2 s); the lag once a probe came back (every 5 s)
    const { events } = await readEvents(nodeUrl(a!, "/dashboard/events"), (events) => {
      const last = events.filter((event) => event.event === "sample").at(-1)?.data
      return last !== undefined && nodeOf(last, "node-b")?.connections === 3 && last.cluster.backplane.lag_ms !== null
    }, 45_000)
    const hello = events[0]!
    expect(hello).toMatchObject({ event: "hello", data: { node_id: "node-a" } })
    const last = events.filter((event) => event.event === "sample").at(-1)!.data
    expect(last.cluster).toMatchObject({
      node_id: "node-a",
      backplane: {
        mode: "redis",
        connected: true,
        status: "connected",
        reconnects: 0,
        lag_ms: expect.any(Number),
        // nothing waits for Redis when it is quick and nothing runs
        publishes_queued: 0,
        run_ends_owed: 0
      },
      nodes_total: 2,
      connections_total: 4
    })
    expect(last.cluster.nodes).toEqual([
      { node_id: "node-a", connections: 1, users: 1, self: true },
      { node_id: "node-b", connections: 3, users: 2, self: false }
    ])

    // B's own snapshot: the same cluster from the other side
    const snapshot = (await (await fetch(nodeUrl(b!, "/dashboard/snapshot"))).json()) as any
    expect(snapshot.sample.cluster.node_id).toBe("node-b")
    expect(snapshot.sample.cluster.nodes[0]).toEqual({ node_id: "node-b", connections: 3, users: 2, self: true })
    await Promise.all(clients.map((client) => client.close()))
  }, 60_000)
})
