import WebSocket from "ws"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Frame, TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

// PROTOCOL §10: agent runs started per minute and running at once, per user. Over either, a run
// request is RATE_LIMITED with details.retry_after_ms; the connection and other users go on.
const expectRateLimited = (reply: Frame, limit: "runs_at_once" | "runs_per_minute") => {
  expect(reply.type).toBe("error")
  expect(reply.payload["code"]).toBe("RATE_LIMITED")
  expect(reply.payload["details"].limit).toBe(limit)
  const retryAfter = reply.payload["details"].retry_after_ms as number
  expect(Number.isInteger(retryAfter)).toBe(true)
  expect(retryAfter).toBeGreaterThan(0)
  return retryAfter
}

describe("agent runs running at once per user (MAX_RUNS_PER_USER)", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ settings: { maxRunsPerUser: 2, runRateLimitPerMin: 0 } })
  })
  afterAll(() => server.close())

  it("refuses a third run of every run type while two go, not another user's; a retry after one ended runs", async () => {
    const alice = await TestClient.connect(server.wsUrl(server.token("busy-alice")))
    const bob = await TestClient.connect(server.wsUrl(server.token("busy-bob")))
    // two runs that take a while (about 8 paced events each)
    const slow = { text: "what is 17 * 23", params: { step_ms: 300 } }
    const first = await alice.request("start_agent", "a1", slow)
    const second = await alice.request("start_agent", "a2", slow)
    expect([first.type, second.type]).toEqual(["ack", "ack"])

    expectRateLimited(await alice.request("user_message", "a3", { text: "what is 1 + 1" }), "runs_at_once")
    expectRateLimited(await alice.request("start_agent", "a4", { text: "hi" }), "runs_at_once")
    expectRateLimited(await alice.request("agent_request", "a5", { text: "hi" }), "runs_at_once")
    const batch = await alice.request("batch", "a6", { messages: [{ type: "user_message", id: "a6-1", payload: { text: "hi" } }] })
    expect(batch.payload["result"].results).toEqual([expect.objectContaining({ status: "error", code: "RATE_LIMITED" })])
    expect(alice.ws.readyState).toBe(WebSocket.OPEN)
    expect((await alice.request("ping", "a-ping")).type).toBe("pong")

    // another user is untouched
    const bobs = [await bob.request("user_message", "b1", { text: "hi" }), await bob.request("user_message", "b2", { text: "hi" })]
    expect(bobs.map((reply) => reply.type)).toEqual(["ack", "ack"])

    // one of alice's runs ends (stopped): the refused request, retried with its id, now runs
    const stopped = await alice.request("stop_agent", "a-stop", { run_id: first.payload["result"].run_id })
    expect(stopped.payload["result"].stopped).toBe(true)
    await alice.completed(first.payload["result"].run_id as string)
    alice.send({ type: "user_message", id: "a3", payload: { text: "what is 1 + 1" } })
    const retried = await alice.wait((frame) => frame.id === "a3")
    expect(retried.type).toBe("ack")
    expect((await alice.completed(retried.payload["result"].run_id as string)).payload["status"]).toBe("completed")
    await alice.close()
    await bob.close()
  }, 30_000)
})

describe("agent runs started per minute per user (RUN_RATE_LIMIT_PER_MIN)", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ settings: { runRateLimitPerMin: 3, maxRunsPerUser: 0, agentStepMs: 0 } })
  })
  afterAll(() => server.close())

  it("refuses the fourth run within a minute with a retry hint, not another user's", async () => {
    const alice = await TestClient.connect(server.wsUrl(server.token("eager-alice")))
    const bob = await TestClient.connect(server.wsUrl(server.token("eager-bob")))
    for (const id of ["r1", "r2", "r3"]) {
      const ack = await alice.request("user_message", id, { text: "what is 2 + 2" })
      expect(ack.type).toBe("ack")
      await alice.completed(ack.payload["result"].run_id as string)
    }
    // the runs have ended: it is the rate, not the concurrency, that refuses
    const retryAfter = expectRateLimited(await alice.request("user_message", "r4", { text: "what is 2 + 2" }), "runs_per_minute")
    expect(retryAfter).toBeLessThanOrEqual(60_000)
    expectRateLimited(await alice.request("start_agent", "r5", { text: "hi" }), "runs_per_minute")
    expect((await alice.request("ping", "r-ping")).type).toBe("pong")
    expect((await bob.request("user_message", "b1", { text: "hi" })).type).toBe("ack")
    await alice.close()
    await bob.close()
  })
})
