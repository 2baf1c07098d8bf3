/**
 * The service (or Socket.IO) as one node or several sharing a private Redis,
 * as the cluster and stream scenarios start them: Redis on the load
 * generator's core, the nodes on the server core, each node named
 * `node-a`, `node-b`… (`NODE_ID`) with one fresh `REDIS_PREFIX` for the run.
 */
import { randomBytes } from "node:crypto"
import type { Pinning } from "./pinning.js"
import { type RunningRedis, startRedis } from "./redis-process.js"
import { type RunningServer, startServer } from "./server-process.js"
import type { TargetSpec } from "./targets.js"

export interface RunningNodes {
  readonly servers: ReadonlyArray<RunningServer>
  readonly redis: RunningRedis | undefined
  /** stops the nodes, then Redis */
  readonly stop: () => Promise<void>
}

/** Starts Redis (when `redis`) and `nodes` processes of `server`; on a failure, stops what it started and throws. */
export const startNodes = async (options: {
  readonly server: TargetSpec
  readonly nodes: number
  readonly redis: boolean
  readonly secret: string
  readonly pinning: Pinning
  /** the log file of `what` (a node's id, or "redis") */
  readonly log: (what: string) => string
}): Promise<RunningNodes> => {
  const servers: Array<RunningServer> = []
  let redis: RunningRedis | undefined
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()))
    await redis?.stop()
  }
  try {
    redis = options.redis ? await startRedis(options.pinning.loadgen, options.log("redis")) : undefined
    const prefix = `bench-${randomBytes(4).toString("hex")}:`
    for (let n = 0; n < options.nodes; n++) {
      const nodeId = `node-${String.fromCharCode(97 + n)}`
      const env = redis === undefined
        ? options.server.env
        : { ...options.server.env, REDIS_URL: redis.url, REDIS_PREFIX: prefix, NODE_ID: nodeId }
      servers.push(await startServer({ ...options.server, env }, options.secret, options.pinning.server, options.log(nodeId)))
    }
  } catch (err) {
    await stop()
    throw err
  }
  return { servers, redis, stop }
}
