import { deletePrefix, redisUrl, uniquePrefix } from "./RedisServer.js"
import { type ServiceProcess, startService } from "./ServiceProcess.js"
import { TestClient } from "./TestClient.js"
import { TEST_SECRET, token } from "./TestServer.js"

/**
 * Nodes of one cluster for end-to-end tests: `npm start` processes on the
 * shared Redis under a prefix of their own, named `node-a`, `node-b`, …
 * `stop` kills them and deletes their keys (call it in `afterEach`).
 */
export const clusterNodes = () => {
  const started: Array<ServiceProcess> = []
  const prefixes: Array<string> = []
  return {
    start: async (count: number, env: Record<string, string> = {}): Promise<Array<ServiceProcess>> => {
      const prefix = uniquePrefix()
      prefixes.push(prefix)
      const nodes: Array<ServiceProcess> = []
      for (let i = 0; i < count; i++) {
        const node = await startService({
          JWT_SECRET: TEST_SECRET,
          REDIS_URL: redisUrl(),
          REDIS_PREFIX: prefix,
          NODE_ID: `node-${"abcdefgh"[i]}`,
          AGENT_STEP_MS: "5",
          ...env
        })
        started.push(node)
        nodes.push(node)
      }
      return nodes
    },
    stop: async (): Promise<void> => {
      for (const node of started.splice(0)) {
        node.child.kill("SIGKILL")
        await node.exited
      }
      for (const prefix of prefixes.splice(0)) await deletePrefix(redisUrl(), prefix).catch(() => undefined)
    }
  }
}

/** A user's WebSocket to one node. */
export const connectTo = (node: ServiceProcess, user: string) =>
  TestClient.connect(`ws://127.0.0.1:${node.port}/ws?access_token=${token(user)}`)

/** `http://127.0.0.1:<port><path>` of a node. */
export const nodeUrl = (node: ServiceProcess, path: string) => `http://127.0.0.1:${node.port}${path}`
