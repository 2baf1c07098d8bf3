import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { clusterNodes, connectTo, nodeUrl } from "../support/ClusterNodes.js"
import { defaultReply, type FakeLegacyBackend, startFakeLegacyBackend } from "../support/FakeLegacyBackend.js"
import { token } from "../support/TestServer.js"

/**
 * `GET /admin/migrations` in cluster mode (issue 14, README "Running several nodes"):
 * each node's answer sums the statistics of every live node (its own and the
 * others' latest reports), so the operator sees the cluster's traffic
 * whichever node the load balancer picks.
 */

const cluster = clusterNodes()
let backend: FakeLegacyBackend
beforeAll(async () => {
  backend = await startFakeLegacyBackend()
  // one user's calls fail: their errors must be summed too
  backend.respond = (call) =>
    call.user_id === "unlucky" ? { status: 500, body: { error: "down" } } : defaultReply(call, backend.calls.length)
})
afterAll(() => backend.close())
afterEach(() => cluster.stop())

const admin = { authorization: `Bearer ${token("ops", { roles: ["admin"] })}` }

interface Side {
  readonly count: number
  readonly errors: number
}
const legacyOf = async (node: Parameters<typeof nodeUrl>[0]): Promise<Side> => {
  const response = await fetch(nodeUrl(node, "/admin/migrations"), { headers: admin })
  expect(response.status).toBe(200)
  const body = (await response.json()) as { types: Record<string, { stats: { legacy: Side; next: Side } }> }
  return body.types["quality_metrics"]!.stats.legacy
}

/** Waits until `check` holds (no timing asserted: the test's own timeout bounds it). */
const eventually = async (check: () => Promise<boolean>) => {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 100))
}

describe("GET /admin/migrations across nodes", () => {
  it("merges both nodes' counts and errors, on either node, without counting a node twice", async () => {
    const [a, b] = await cluster.start(2, {
      LEGACY_BACKEND_URL: backend.url,
      LEGACY_TYPES: "quality_metrics",
      LEGACY_RETRIES: "0"
    })
    const onA = await connectTo(a!, "alice")
    for (let i = 0; i < 3; i++) expect((await onA.request("quality_metrics", `a${i}`, {})).payload["status"]).toBe("ok")
    const onB = await connectTo(b!, "bob")
    for (let i = 0; i < 4; i++) expect((await onB.request("quality_metrics", `b${i}`, {})).payload["status"]).toBe("ok")
    const unlucky = await connectTo(b!, "unlucky")
    for (let i = 0; i < 2; i++) await unlucky.request("quality_metrics", `u${i}`, {})

    // 3 on A, 6 on B (2 of them failed): each node's reports every 2 s reach the other
    await eventually(async () => (await legacyOf(a!)).count === 9 && (await legacyOf(b!)).count === 9)
    expect(await legacyOf(a!)).toMatchObject({ count: 9, errors: 2 })
    expect(await legacyOf(b!)).toMatchObject({ count: 9, errors: 2 })
    await Promise.all([onA.close(), onB.close(), unlucky.close()])
  }, 60_000)
})
