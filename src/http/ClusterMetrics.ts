import type { BackplaneState, NodeReport } from "../store/ClusterView.js"

/**
 * The cluster's lines of `/metrics` (Prometheus text 0.0.4), rendered at
 * scrape time from the cluster view rather than kept as effect metrics: the
 * nodes come and go (`node-<pid>` ids change with every restart), and a
 * registered series per node ever seen would only grow.
 */

const escape = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n")

const family = (name: string, type: "gauge", help: string, series: ReadonlyArray<string>) =>
  `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${series.join("\n")}\n`

/** The lines for this node (`nodeId`), its backplane and every live node's report. */
export const render = (nodeId: string, backplane: BackplaneState, nodes: ReadonlyArray<NodeReport>): string => {
  const self = `node_id="${escape(nodeId)}",mode="${backplane.mode}"`
  const byNode = (value: (node: NodeReport) => number) =>
    nodes.map((node) => `{node_id="${escape(node.node_id)}"} ${value(node)}`)
  return family("switchyard_node_info", "gauge", "this node: its id and backplane mode (always 1)", [
    `switchyard_node_info{${self}} 1`
  ]) +
    family("switchyard_backplane_connected", "gauge", "1 while this node's backplane is connected (memory: always)", [
      `switchyard_backplane_connected ${backplane.connected ? 1 : 0}`
    ]) +
    family("switchyard_backplane_reconnects", "gauge", "reconnections of this node's backplane since start", [
      `switchyard_backplane_reconnects ${backplane.reconnects}`
    ]) +
    family(
      "switchyard_backplane_lag_seconds",
      "gauge",
      "round trip of the latest pub/sub probe through the backplane (NaN: unknown or down)",
      [`switchyard_backplane_lag_seconds ${backplane.lagMs === undefined ? "NaN" : backplane.lagMs / 1000}`]
    ) +
    family(
      "switchyard_cluster_node_connections",
      "gauge",
      "open WebSocket connections of each live node, as it last reported (every 2 s)",
      byNode((node) => node.connections).map((line) => `switchyard_cluster_node_connections${line}`)
    ) +
    family(
      "switchyard_cluster_node_users",
      "gauge",
      "users with an open connection on each live node, as it last reported",
      byNode((node) => node.users).map((line) => `switchyard_cluster_node_users${line}`)
    )
}
