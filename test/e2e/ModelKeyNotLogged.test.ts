import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { registry } from "../support/SecretScan.js"
import { freePort, type ServiceProcess, startService } from "../support/ServiceProcess.js"
import { TestClient } from "../support/TestClient.js"
import { TEST_SECRET, token } from "../support/TestServer.js"

// PROTOCOL §9: the model server's API key never leaves the process, the log included. A model server
// that cannot be reached fails every call before a response: the request error the HTTP client makes
// holds the request's headers (the key among them), and a log line of it whole wrote the key out.

const OPENAI_KEY = registry.secret("sk-unreachable-0123456789abcdefghijklmnop")

describe("the model server's key when the model server cannot be reached", () => {
  let service: ServiceProcess
  beforeAll(async () => {
    const closedPort = await freePort()
    service = await startService({
      JWT_SECRET: TEST_SECRET,
      AGENT: "openai",
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `http://127.0.0.1:${closedPort}/v1`,
      OPENAI_MAX_RETRIES: "1",
      OPENAI_RETRY_BASE_MS: "10"
    })
  }, 60_000)
  afterAll(() => {
    service?.child.kill("SIGKILL")
  })

  it("the run fails MODEL_UNREACHABLE, and the log says why without the key", async () => {
    const client = await TestClient.connect(`ws://127.0.0.1:${service.port}/ws?access_token=${token("keyless")}`)
    const ack = await client.request("start_agent", "k1", { text: "hi" })
    const runId = ack.payload["result"].run_id as string
    const completed = await client.completed(runId)
    expect(completed.payload).toMatchObject({ status: "failed", error: { code: "MODEL_UNREACHABLE" } })
    await client.close()
    // the failure was logged (its kind and reason), and nothing of the request's headers with it
    expect(service.output()).toContain("model call failed")
    expect(service.output()).toContain("HttpRequestError")
    expect(service.output()).not.toContain(OPENAI_KEY)
    expect(service.output().toLowerCase()).not.toContain("bearer")
  }, 30_000)
})
