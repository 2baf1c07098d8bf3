import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

// The built-in agent's test parameters are a client's choice: bounded, and out of bounds a clear
// INVALID_MESSAGE naming the field, before any run exists (a 60 s pause per event held a run for
// minutes; a fail_with of any length was copied into the run's events).
describe("the built-in agent's params over a real socket", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(() => server.close())

  it("refuses step_ms and fail_with out of bounds with INVALID_MESSAGE and the field's path; a fixed retry runs", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("params-user")))
    const refused: Array<[object, string]> = [
      [{ step_ms: 60_000 }, "step_ms"],
      [{ step_ms: -1 }, "step_ms"],
      [{ step_ms: "slow" }, "step_ms"],
      [{ fail_with: "X".repeat(10_000) }, "fail_with"],
      [{ fail_with: "not a code" }, "fail_with"]
    ]
    for (const [index, [params, field]] of refused.entries()) {
      const reply = await client.request("start_agent", `p${index}`, { text: "hi", params })
      expect(reply.type).toBe("error")
      expect(reply.payload["code"]).toBe("INVALID_MESSAGE")
      expect(reply.payload["details"].path).toEqual(["payload", "params", field])
      expect(JSON.stringify(reply).length).toBeLessThan(1_000)
    }
    expect(client.frames.filter((frame) => frame.type === "agent_started")).toEqual([])
    // errors are not remembered: the same id with params in bounds starts its run
    client.send({ type: "start_agent", id: "p0", payload: { text: "hi", params: { step_ms: 5, fail_with: "MODEL_DOWN" } } })
    const ack = await client.wait((frame) => frame.id === "p0")
    expect(ack.type).toBe("ack")
    const completed = await client.completed(ack.payload["result"].run_id as string)
    expect(completed.payload).toMatchObject({ status: "failed", error: { code: "MODEL_DOWN" } })
    await client.close()
  })
})
