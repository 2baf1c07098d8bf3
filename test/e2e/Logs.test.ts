import { HashMap, Layer, Logger, LogLevel } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startService } from "../support/ServiceProcess.js"
import { TestClient } from "../support/TestClient.js"
import { startServer, TEST_SECRET, type TestServer, token } from "../support/TestServer.js"

/** One captured log line: its message parts, level and annotations. */
interface Line {
  readonly message: ReadonlyArray<unknown>
  readonly level: string
  readonly annotations: Record<string, unknown>
}

const messageOf = (line: Line): string => String(line.message[0])

describe("logs carry the ids of their connection and run", () => {
  const lines: Array<Line> = []
  const capture = Logger.make<unknown, void>(({ annotations, logLevel, message }) => {
    lines.push({
      message: Array.isArray(message) ? message : [message],
      level: logLevel.label,
      annotations: Object.fromEntries(HashMap.toEntries(annotations))
    })
  })
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({
      settings: { agentStepMs: 1, qualityAlertMinRuns: 1 },
      logs: Layer.merge(Logger.replace(Logger.defaultLogger, capture), Logger.minimumLogLevel(LogLevel.Debug))
    })
  })
  afterAll(() => server.close())

  it("a connection's lines have user_id and connection_id; a run's also run_id", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("logged-user")))
    const connectionId = client.greeting.payload["connection_id"] as string
    await client.request("error", "e1", { message: "the client broke" })
    await client.request("quality_alert", "sub", { subscribe: true, min_success_rate: 0.9 })
    const ack = await client.request("start_agent", "run", { text: "x", params: { fail_with: "MODEL_DOWN" } })
    const runId = ack.payload["result"].run_id as string
    await client.next((f) => f.type === "quality_alert")

    const reported = lines.find((line) => messageOf(line) === "client reported an error")
    expect(reported?.annotations).toMatchObject({ user_id: "logged-user", connection_id: connectionId })

    const ended = lines.find((line) => messageOf(line) === "agent run ended")
    expect(ended?.level).toBe("DEBUG")
    expect(ended?.annotations).toMatchObject({ user_id: "logged-user", connection_id: connectionId, run_id: runId })
    expect(ended?.message[1]).toMatchObject({ status: "failed" })

    const alert = lines.find((line) => messageOf(line) === "quality alert")
    expect(alert?.annotations).toMatchObject({ user_id: "logged-user", run_id: runId })
    await client.close()
  })
})

describe("logs of the service process", () => {
  it("are JSON lines with the ids as annotations when NODE_ENV=production", async () => {
    const service = await startService({ NODE_ENV: "production", JWT_SECRET: TEST_SECRET, LOG_LEVEL: "debug" })
    try {
      const client = await TestClient.connect(`ws://127.0.0.1:${service.port}/ws?access_token=${token("json-user")}`)
      const ack = await client.request("user_message", "m", { text: "what is 17 * 23" })
      const runId = ack.payload["result"].run_id as string
      await client.completed(runId)
      await client.request("error", "e", { message: "oops" })
      const parsed = () =>
        service.output().split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line) as {
          readonly message: unknown
          readonly logLevel: string
          readonly annotations: Record<string, unknown>
        })
      // every line is JSON (JSON.parse throws otherwise); wait for the lines of this run to be written
      let lines = parsed()
      const deadline = Date.now() + 10_000
      while (!lines.some((line) => JSON.stringify(line.message).includes("client reported an error")) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        lines = parsed()
      }
      const ended = lines.find((line) => JSON.stringify(line.message).includes("agent run ended"))
      expect(ended).toMatchObject({
        logLevel: "DEBUG",
        annotations: { user_id: "json-user", connection_id: client.greeting.payload["connection_id"], run_id: runId }
      })
      const reported = lines.find((line) => JSON.stringify(line.message).includes("client reported an error"))
      expect(reported?.annotations).toMatchObject({ user_id: "json-user" })
      await client.close()
    } finally {
      service.child.kill("SIGTERM")
      await service.exited
    }
  }, 60_000)
})
