import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { RateLimitSettings } from "../../src/resilience/RateLimitSettings.js"
import { startService, type ServiceProcess } from "../support/ServiceProcess.js"
import { TestClient } from "../support/TestClient.js"
import { TEST_SECRET, token } from "../support/TestServer.js"

/**
 * One user floods the service from several connections while another runs
 * the golden path (PROTOCOL §10: one client must never slow, starve or break
 * another). The service runs as `npm start` runs it, with its default limits,
 * and the flooder in a process of its own, so that neither the flood's own
 * work nor the test's lands on the service's thread.
 */

interface GoldenPath {
  readonly ackMs: number
  readonly completedMs: number
}

const goldenPath = async (client: TestClient, id: string): Promise<GoldenPath> => {
  const started = performance.now()
  const ack = await client.request("user_message", id, { text: "what is 17 * 23" })
  const ackMs = performance.now() - started
  expect(ack.payload["status"]).toBe("ok")
  const completed = await client.completed(ack.payload["result"].run_id as string)
  expect(completed.payload["status"]).toBe("completed")
  expect(completed.payload["response"].text).toContain("391")
  return { ackMs, completedMs: performance.now() - started }
}

const summary = (paths: ReadonlyArray<GoldenPath>) => {
  const acks = paths.map((p) => p.ackMs).sort((a, b) => a - b)
  return {
    ack_ms_median: Math.round(acks[Math.floor(acks.length / 2)]! * 10) / 10,
    ack_ms_max: Math.round(acks.at(-1)! * 10) / 10,
    completed_ms_max: Math.round(Math.max(...paths.map((p) => p.completedMs)))
  }
}

interface FloodAnswers {
  readonly frames: number
  readonly rate_limited: number
  readonly retry_after_ms_min: number
  readonly closes: ReadonlyArray<number>
  readonly open: number
}

describe("a flood from one user while another runs the golden path", () => {
  let service: ServiceProcess
  beforeAll(async () => {
    service = await startService({
      JWT_SECRET: TEST_SECRET,
      RATE_LIMIT_PER_SEC: String(RateLimitSettings.defaults.rateLimitPerSec),
      RATE_LIMIT_BURST: String(RateLimitSettings.defaults.rateLimitBurst)
    })
  })
  afterAll(() => {
    service.child.kill("SIGKILL")
  })

  for (const mode of ["mixed", "pings"] as const) {
    it(`keeps the other user's latency in its normal range, and tells the flooder to slow down (${mode})`, async () => {
      const url = (user: string) => `ws://127.0.0.1:${service.port}/ws?access_token=${token(user)}`
      const steady = await TestClient.connect(url("steady"))
      const quiet: Array<GoldenPath> = []
      for (let i = 0; i < 10; i++) quiet.push(await goldenPath(steady, `quiet-${mode}-${i}`))

      const flood = promisify(execFile)(process.execPath, ["test/support/flooder.mjs", url(`flooder-${mode}`), "3", "4000", mode])
      // let the flood start before measuring under it
      await new Promise((resolve) => setTimeout(resolve, 300))
      const loaded: Array<GoldenPath> = []
      for (let i = 0; i < 10; i++) loaded.push(await goldenPath(steady, `loaded-${mode}-${i}`))
      const answers = JSON.parse((await flood).stdout) as FloodAnswers

      console.log(`flood (${mode}):`, { flooder: answers, quiet: summary(quiet), loaded: summary(loaded) })
      expect(answers.rate_limited).toBeGreaterThan(0)
      expect(answers.retry_after_ms_min).toBeGreaterThan(0)
      // the flooder is slowed down, not cut off
      expect(answers.open).toBe(3)
      // the normal range is a few milliseconds; a flood that is read and parsed pushes every ack behind it (~100 ms here)
      expect(summary(loaded).ack_ms_median).toBeLessThan(Math.max(25, 8 * summary(quiet).ack_ms_median))
      await steady.close()
    }, 120_000)
  }
})
