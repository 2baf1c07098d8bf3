import { readFileSync } from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startServer, type TestServer } from "../support/TestServer.js"

describe("GET /asyncapi.json (PROTOCOL §1)", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(() => server.close())

  it("serves the committed contract, docs/asyncapi.json, without a token", async () => {
    const committed = readFileSync(new URL("../../docs/asyncapi.json", import.meta.url), "utf8")
    const response = await fetch(server.url("/asyncapi.json"))
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toContain("application/json")
    const body = await response.text()
    expect(JSON.parse(body)).toEqual(JSON.parse(committed))
    expect(body).toBe(committed)
    // the same document on the next request
    expect(await (await fetch(server.url("/asyncapi.json"))).text()).toBe(body)
  })

  it("answers 304 without the document to a client that has it (If-None-Match), so fetching it again is cheap", async () => {
    const first = await fetch(server.url("/asyncapi.json"))
    const etag = first.headers.get("etag")
    expect(etag).toMatch(/^"[\w-]+"$/)
    expect(first.headers.get("cache-control")).toContain("max-age")
    const again = await fetch(server.url("/asyncapi.json"), { headers: { "if-none-match": etag! } })
    expect(again.status).toBe(304)
    expect(await again.text()).toBe("")
    const stale = await fetch(server.url("/asyncapi.json"), { headers: { "if-none-match": "\"other\"" } })
    expect(stale.status).toBe(200)
  })
})
