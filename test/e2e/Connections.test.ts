import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

describe("a user's connections (PROTOCOL §4, §6)", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ settings: { agentStepMs: 1, resumeWindowMs: 0 } })
  })
  afterAll(() => server.close())

  it("typing reaches only the same user's other connection", async () => {
    const [a1, a2, b] = await Promise.all([
      TestClient.connect(server.wsUrl(server.token("ty-alice"))),
      TestClient.connect(server.wsUrl(server.token("ty-alice"))),
      TestClient.connect(server.wsUrl(server.token("ty-bob")))
    ])
    const ack = await a1.request("typing", "t1", { is_typing: true, thread_id: "th" })
    expect(ack.payload).toEqual({ status: "ok", result: {} })
    const typing = await a2.next((f) => f.type === "typing")
    expect(typing.payload).toEqual({ is_typing: true, thread_id: "th", connection_id: a1.greeting.payload["connection_id"] })
    expect(typing.seq).toBeUndefined()
    await b.request("ping", "sync")
    await a1.request("ping", "sync")
    expect(a1.frames.some((f) => f.type === "typing")).toBe(false)
    expect(b.frames.some((f) => f.type === "typing")).toBe(false)
    await Promise.all([a1.close(), a2.close(), b.close()])
  })

  it("every connection of a user gets the same stream with the same seqs; other users get nothing", async () => {
    const [a1, a2, b] = await Promise.all([
      TestClient.connect(server.wsUrl(server.token("st-alice"))),
      TestClient.connect(server.wsUrl(server.token("st-alice"))),
      TestClient.connect(server.wsUrl(server.token("st-bob")))
    ])
    const ack = await a1.request("user_message", "m", { text: "what is 2 + 2" })
    const runId = ack.payload["result"].run_id as string
    await a1.completed(runId)
    await a2.completed(runId)
    const seqs = (c: TestClient) => c.runEvents(runId).map((f) => `${f.seq}:${f.type}`)
    expect(seqs(a2)).toEqual(seqs(a1))
    await b.request("ping", "sync")
    expect(b.frames.filter((f) => f.seq !== undefined)).toEqual([])
    await Promise.all([a1.close(), a2.close(), b.close()])
  })

  it("disconnect is acked, then the server closes with 1000", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("leaver")))
    const ack = await client.request("disconnect", "bye")
    expect(ack.payload).toEqual({ status: "ok", result: {} })
    expect((await client.closed).code).toBe(1000)
  })
})
