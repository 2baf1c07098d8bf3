import { get, type IncomingMessage } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { MAX_VIEWERS } from "../../src/http/DashboardFeed.js"
import { startServer, type TestServer } from "../support/TestServer.js"

// the dashboard's feed needs no token: whoever can reach the service may watch, so watchers are bounded
describe("dashboards watching at once", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(() => server.close())

  // opens the event stream and resolves once its first event arrived (the viewer is then counted)
  const watch = (): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      get(server.url("/dashboard/events"), (response) => {
        if (response.statusCode !== 200) return resolve(response)
        response.once("data", () => resolve(response))
      }).once("error", reject)
    })

  it(`serves ${MAX_VIEWERS}, answers the next 503 with Retry-After, and serves again once one leaves`, async () => {
    const viewers = await Promise.all(Array.from({ length: MAX_VIEWERS }, watch))
    expect(viewers.map((response) => response.statusCode)).toEqual(viewers.map(() => 200))
    const refused = await watch()
    expect(refused.statusCode).toBe(503)
    expect(refused.headers["retry-after"]).toBe("10")
    refused.resume()

    viewers[0]!.destroy()
    let again = await watch()
    for (let i = 0; again.statusCode !== 200 && i < 50; i++) {
      again.resume()
      await new Promise((resolve) => setTimeout(resolve, 20))
      again = await watch()
    }
    expect(again.statusCode).toBe(200)
    for (const response of [...viewers, again]) response.destroy()
  })
})
