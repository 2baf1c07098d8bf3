import { describe, expect, it } from "vitest"
import { startService } from "../support/ServiceProcess.js"
import { TestClient } from "../support/TestClient.js"
import { TEST_SECRET, token } from "../support/TestServer.js"

interface JsonLine {
  readonly message: unknown
  readonly logLevel: string
  readonly annotations: Record<string, unknown>
}

const REPORTED = "client reported an error"

describe("client error reports in the production (JSON) log", () => {
  it("a deep or huge report is acked and logged as a bounded line; a flood of them is a bounded number of lines", async () => {
    const service = await startService({
      NODE_ENV: "production",
      JWT_SECRET: TEST_SECRET,
      LOG_LEVEL: "info",
      // the logger itself is under test: let deep frames through decoding and every frame past the rate limit
      MAX_JSON_DEPTH: "20000",
      RATE_LIMIT_PER_SEC: "0",
      CLIENT_ERROR_LOG_PER_SEC: "1"
    })
    try {
      const client = await TestClient.connect(`ws://127.0.0.1:${service.port}/ws?access_token=${token("reporter")}`)
      const huge = await client.request("error", "huge", { message: "m".repeat(10_000), details: { blob: "x".repeat(900_000) } })
      expect(huge).toMatchObject({ type: "ack", payload: { status: "ok", result: {} } })
      const deepDetails = `${"{\"a\":".repeat(10_000)}1${"}".repeat(10_000)}`
      client.send(`{"type":"error","id":"deep","payload":{"message":"deep","details":${deepDetails}}}`)
      expect(await client.reply("deep")).toMatchObject({ type: "ack", payload: { status: "ok", result: {} } })
      // a flood: every report is acked, few are logged
      for (let i = 0; i < 200; i++) client.send({ type: "error", id: `flood-${i}`, payload: { message: `flood ${i}` } })
      await client.reply("flood-199")
      // a second later the budget has a token again
      await new Promise((resolve) => setTimeout(resolve, 1500))
      expect((await client.request("error", "final", { message: "final" })).type).toBe("ack")

      let lines: Array<string> = []
      const deadline = Date.now() + 10_000
      while (Date.now() < deadline) {
        lines = service.output().split("\n").filter((line) => line.trim() !== "")
        if (lines.some((line) => line.includes("\"final\""))) break
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const parsed = lines.map((line) => JSON.parse(line) as JsonLine)
      const reports = parsed.filter((line) => JSON.stringify(line.message).includes(REPORTED))
      for (const line of lines) expect(line.length).toBeLessThan(4096)
      // the huge and the deep report were logged (the budget was full), as bounded summaries
      expect(lines.some((line) => line.includes("xxxxxxxx"))).toBe(true)
      expect(lines.some((line) => line.includes("{\\\"a\\\":{\\\"a\\\":"))).toBe(true)
      // 203 reports, a handful of lines: at most the burst (2) plus one a second
      expect(reports.length).toBeGreaterThanOrEqual(3)
      expect(reports.length).toBeLessThan(60)
      // every report is accounted for: logged, or counted as not logged in a later line (the final one comes
      // after a pause, so it is logged and nothing is left uncounted)
      const notLogged = reports.map((line) =>
        (line.message as ReadonlyArray<{ readonly reports_not_logged?: number }>)[1]?.reports_not_logged ?? 0
      )
      expect(reports.length + notLogged.reduce((a, b) => a + b, 0)).toBe(203)
      const final = reports.find((line) => JSON.stringify(line.message).includes("\"final\""))
      expect(final?.annotations).toMatchObject({ user_id: "reporter" })
      // no report ever answered INTERNAL
      expect(client.frames.filter((frame) => frame.type === "error")).toEqual([])
      await client.close()
    } finally {
      service.child.kill("SIGTERM")
      await service.exited
    }
  }, 60_000)
})
