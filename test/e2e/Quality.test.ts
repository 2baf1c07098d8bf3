import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Frame, TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

describe("quality messages over a real WebSocket", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({
      settings: { agentStepMs: 1, qualityAlertMinRuns: 3, qualityBannedPhrases: ["lorem ipsum"] }
    })
  })
  afterAll(() => server.close())

  /** Starts a run and waits for its `agent_completed`. */
  const run = async (client: TestClient, id: string, params: object = {}): Promise<Frame> => {
    const ack = await client.request("start_agent", id, { text: "what is 17 * 23", params })
    return client.completed(ack.payload["result"].run_id as string)
  }

  it("quality_metrics and quality_report answer from the runs the service executed", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("metrics-user")))
    await run(client, "r1")
    await run(client, "r2")
    await run(client, "r3", { fail_with: "MODEL_DOWN" })
    const metrics = await client.request("quality_metrics", "m", {})
    expect(metrics.payload["result"]).toMatchObject({
      runs: 3,
      completed: 2,
      failed: 1,
      cancelled: 0,
      success_rate: 2 / 3,
      tools: { calculator: 2 }
    })
    const report = await client.request("quality_report", "rep", { since: "2000-01-01T00:00:00Z" })
    expect(report.payload["result"]).toMatchObject({
      since: "2000-01-01T00:00:00.000Z",
      totals: { runs: 3, completed: 2, failed: 1 },
      errors: { MODEL_DOWN: 1 }
    })
    expect(report.payload["result"].slowest).toHaveLength(3)
    const bad = await client.request("quality_report", "bad", { since: "last tuesday" })
    expect(bad).toMatchObject({ type: "error", payload: { code: "INVALID_MESSAGE", details: { path: ["payload", "since"] } } })
    // another user's runs are not this user's quality
    const other = await TestClient.connect(server.wsUrl(server.token("someone-else")))
    expect((await other.request("quality_metrics", "m", {})).payload["result"]).toMatchObject({ runs: 0 })
    await other.close()
    await client.close()
  })

  it("quality_validation checks an answer with the configured banned phrases", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("validator")))
    const ok = await client.request("quality_validation", "v1", { content: "17 * 23 = 391" })
    expect(ok.payload["result"]).toEqual({ valid: true, issues: [] })
    const bad = await client.request("quality_validation", "v2", { content: "Lorem  Ipsum ```" })
    expect(bad.payload["result"]).toMatchObject({
      valid: false,
      issues: [{ rule: "unbalanced_code_fence" }, { rule: "banned_phrase" }]
    })
    await client.close()
  })

  it("a subscribed breach pushes ONE quality_alert on the user's stream (with a seq), then one on recovery", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("alerted")))
    const second = await TestClient.connect(server.wsUrl(server.token("alerted")))
    const sub = await client.request("quality_alert", "sub", { subscribe: true, min_success_rate: 0.5 })
    expect(sub.payload).toEqual({ status: "ok", result: { subscribed: true } })
    // 5 failures: the third one breaches; the next two do not alert again
    for (let i = 0; i < 5; i++) await run(client, `f${i}`, { fail_with: "MODEL_DOWN" })
    // recovery needs success_rate >= 0.55: 7 completed of 12
    for (let i = 0; i < 7; i++) await run(client, `s${i}`)
    const recovered = await client.next((f) => f.type === "quality_alert" && f.payload["kind"] === "recovered")
    const alerts = client.frames.filter((f) => f.type === "quality_alert")
    expect(alerts.map((f) => f.payload["kind"])).toEqual(["breach", "recovered"])
    expect(alerts[0]!.payload).toMatchObject({ metrics: { failed: 3, completed: 0 }, thresholds: { min_success_rate: 0.5 } })
    expect(recovered.payload["metrics"]).toMatchObject({ failed: 5, completed: 7 })
    // stream events: numbered in the user's seq, right after the agent_completed that decided them
    for (const alert of alerts) {
      expect(alert.seq).toEqual(expect.any(Number))
      const before = client.frames.find((f) => f.seq === alert.seq! - 1)
      expect(before?.type).toBe("agent_completed")
    }
    // the user's other connection gets the same events
    await second.next((f) => f.type === "quality_alert" && f.payload["kind"] === "recovered")
    expect(second.frames.filter((f) => f.type === "quality_alert").map((f) => f.seq)).toEqual(alerts.map((f) => f.seq))
    const unsub = await client.request("quality_alert", "unsub", { subscribe: false })
    expect(unsub.payload["result"]).toEqual({ subscribed: false })
    await second.close()
    await client.close()
  })
})
