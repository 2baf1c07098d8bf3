import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"
import { worstCaseTexts } from "../support/WorstCaseText.js"

// PROTOCOL §10: the work the service does for one frame grows at most linearly with its size.
// The built-in agent's parsers used to be quadratic on these texts (seconds each, on one thread):
// a batch of them stalled every user for minutes. Now all of them are read in milliseconds.
describe("worst-case chat text over a real socket (PROTOCOL §10)", () => {
  let server: TestServer
  beforeAll(async () => {
    // a batch of 100 messages of 32,000 characters is ~3.2 MB: the frame limit is raised to let it in;
    // the run limits are off: this is about the work of parsing, every run must get that far
    server = await startServer({
      settings: { maxMessageBytes: 8 * 1024 * 1024, agentStepMs: 0, maxRunsPerUser: 0, runRateLimitPerMin: 0 }
    })
  })
  afterAll(() => server.close())

  const completedRuns = (client: TestClient) =>
    client.frames.filter((frame) => frame.type === "agent_completed").map((frame) => frame.run_id)

  it("answers every worst-case user_message, and another user's ping after each", async () => {
    const alice = await TestClient.connect(server.wsUrl(server.token("worst-alice")))
    const bob = await TestClient.connect(server.wsUrl(server.token("worst-bob")))
    for (const [index, text] of worstCaseTexts.entries()) {
      const ack = await alice.request("user_message", `w${index}`, { text })
      expect(ack.type).toBe("ack")
      const completed = await alice.completed(ack.payload["result"].run_id as string)
      expect(completed.payload["status"]).toBe("completed")
      expect((await bob.request("ping", `bob-${index}`)).type).toBe("pong")
    }
    await alice.close()
    await bob.close()
  }, 60_000)

  it("acks a batch of 100 worst-case messages, runs them all, and another user is answered meanwhile", async () => {
    const alice = await TestClient.connect(server.wsUrl(server.token("batch-alice")))
    const bob = await TestClient.connect(server.wsUrl(server.token("batch-bob")))
    const messages = Array.from({ length: 100 }, (_, index) => ({
      type: "user_message",
      id: `m${index}`,
      payload: { text: worstCaseTexts[index % worstCaseTexts.length]! }
    }))
    const ack = await alice.request("batch", "big", { messages })
    expect(ack.type).toBe("ack")
    const results = ack.payload["result"].results as Array<{ status: string; result: { run_id: string } }>
    expect(results.map((result) => result.status)).toEqual(messages.map(() => "ok"))
    // the runs are parsing now; the bystander is still answered
    expect((await bob.request("ping", "bob-during")).type).toBe("pong")
    for (const result of results) {
      const completed = await alice.completed(result.result.run_id, 30_000)
      expect(completed.payload["status"]).toBe("completed")
    }
    expect(completedRuns(alice).length).toBe(100)
    expect((await bob.request("ping", "bob-after")).type).toBe("pong")
    await alice.close()
    await bob.close()
  }, 90_000)
})
