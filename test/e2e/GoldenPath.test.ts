import { Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Envelope } from "../../src/protocol/ServerEnvelope.js"
import { TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

const isServerFrame = Schema.is(Envelope)

describe("golden path over a real WebSocket", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ settings: { agentStepMs: 2 } })
  })
  afterAll(() => server.close())

  it("greets, acks, and streams an agent run that calls the calculator", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("alice")))
    const greeting = client.greeting
    expect(greeting.payload).toMatchObject({ user_id: "alice", last_seq: 0, server: { version: expect.any(String) } })
    expect(greeting.payload["connection_id"]).toEqual(expect.any(String))
    expect(greeting.payload["heartbeat_ms"]).toEqual(expect.any(Number))
    expect(greeting.payload["epoch"]).toEqual(expect.any(String))

    client.send({ type: "user_message", id: "1", payload: { text: "what is 17 * 23" } })
    const ack = await client.reply("1")
    expect(ack.type).toBe("ack")
    expect(ack.payload["status"]).toBe("ok")
    const runId = ack.payload["result"].run_id as string
    expect(runId).toEqual(expect.any(String))

    const completed = await client.completed(runId)
    const events = client.runEvents(runId)
    // the ack precedes every event the frame caused
    expect(client.frames.indexOf(ack)).toBeLessThan(client.frames.indexOf(events[0]!))
    expect(events.map((e) => e.type)).toEqual([
      "agent_started",
      "agent_thinking",
      "agent_thinking",
      "tool_executing",
      "tool_completed",
      ...events.slice(5, -1).map(() => "agent_message_delta"),
      "agent_completed"
    ])
    expect(events.every(isServerFrame)).toBe(true)
    // seq: per user, strictly increasing by 1 from 1
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
    const executing = events.find((e) => e.type === "tool_executing")!
    const toolDone = events.find((e) => e.type === "tool_completed")!
    expect(executing.payload).toMatchObject({ tool: "calculator" })
    expect(toolDone.payload).toMatchObject({ tool: "calculator", ok: true, tool_call_id: executing.payload["tool_call_id"] })
    expect(JSON.stringify(toolDone.payload["output"])).toContain("391")
    expect(completed.payload).toMatchObject({ status: "completed" })
    const text = completed.payload["response"].text as string
    expect(text).toContain("391")
    const deltas = events.filter((e) => e.type === "agent_message_delta").map((e) => e.payload["text"]).join("")
    expect(deltas).toBe(text)
    await client.close()
  })

  it("answers ping with pong, without an ack", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("pinger")))
    const pong = await client.request("ping", "p-1")
    expect(pong).toMatchObject({ type: "pong", id: "p-1" })
    client.send({ type: "ping" })
    const bare = await client.next((f) => f.type === "pong" && f.id === undefined)
    expect(bare.type).toBe("pong")
    expect(client.frames.some((f) => f.type === "ack")).toBe(false)
    await client.close()
  })

  it("serves /health and /ready", async () => {
    const health = await fetch(server.url("/health"))
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: "ok" })
    expect((await fetch(server.url("/ready"))).status).toBe(200)
  })
})
