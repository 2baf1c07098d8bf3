import { Layer, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as AgentLive from "../../src/agent/AgentLive.js"
import * as SwitchyardConfig from "../../src/Config.js"
import type { Overrides } from "../../src/Config.js"
import { Envelope } from "../../src/protocol/ServerEnvelope.js"
import { type FakeOpenAi, type FakeRequest, type Reply, startFakeOpenAi } from "../support/FakeOpenAi.js"
import { type Frame, TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

const isServerFrame = Schema.is(Envelope)

/**
 * The model-backed agent end to end: the real service on a free port, a real
 * WebSocket client, and a fake OpenAI-compatible server (node:http, no
 * network) in place of the model — once per API the agent can speak.
 */

// The fake model's script: what it answers depends on the user's message.
const script = (request: FakeRequest): Reply => {
  const text = request.lastUserText
  const asked = (other: FakeRequest) => other.api === request.api && other.lastUserText === text
  if (text.includes("17 * 23")) {
    if (request.toolOutputs.length === 0) {
      return { _tag: "ToolCall", id: "call_calc_1", name: "calculator", fragments: ["{\"expre", "ssion\": \"17", " * 23\"}"] }
    }
    // answer from what the tool returned, so the round trip is proven
    const value = (JSON.parse(request.toolOutputs[0]!) as { value: number }).value
    return { _tag: "Text", chunks: ["17 * 23 ", `= ${value}`, "."] }
  }
  if (text === "divide by zero") {
    return { _tag: "ToolCall", id: "call_div", name: "calculator", fragments: ["{\"expression\": \"1 / 0\"}"] }
  }
  if (text === "loop forever") return { _tag: "ToolCall", id: `call_loop`, name: "clock", fragments: ["{}"] }
  if (text === "status 500") return { _tag: "Status", status: 500 }
  if (text === "status 400") return { _tag: "Status", status: 400 }
  if (text === "rate limited once") {
    return fake.requests.filter(asked).length === 1 ? { _tag: "Status", status: 429 } : { _tag: "Text", chunks: ["fine now"] }
  }
  if (text === "cut") return { _tag: "Cut", chunks: ["Hel", "lo"] }
  if (text === "garbage") return { _tag: "Garbage", chunks: ["Hi"] }
  if (text === "hang") return { _tag: "Hang", chunks: ["Thinking hard"] }
  if (text === "hang silently") return { _tag: "Hang", chunks: [] }
  if (text.startsWith("my name is ")) return { _tag: "Text", chunks: [`Hello ${text.slice("my name is ".length)}!`] }
  if (text === "what is my name?") {
    const introduced = request.messages.find((m) => m.role === "user" && m.text.startsWith("my name is "))
    return { _tag: "Text", chunks: [introduced === undefined ? "I do not know." : `You are ${introduced.text.slice(11)}.`] }
  }
  return { _tag: "Text", chunks: ["Hello", " from", " the fake."] }
}

let fake: FakeOpenAi

const agentLayer = (settings: Overrides) =>
  AgentLive.layer.pipe(Layer.provide(SwitchyardConfig.layerWith({
    agent: "openai",
    openaiBaseUrl: fake.baseUrl,
    openaiModel: "fake-model",
    openaiTimeoutMs: 10_000,
    openaiMaxRetries: 2,
    openaiRetryBaseMs: 1,
    agentMaxSteps: 4,
    ...settings
  })))

const types = (events: ReadonlyArray<Frame>) => events.map((e) => e.type)
const deltasOf = (events: ReadonlyArray<Frame>) =>
  events.filter((e) => e.type === "agent_message_delta").map((e) => e.payload["text"] as string).join("")

beforeAll(async () => {
  fake = await startFakeOpenAi(script)
})
afterAll(() => fake.close())

describe.each(["chat", "responses"] as const)("the model agent over %s", (api) => {
  let server: TestServer
  let client: TestClient
  let counter = 0
  const requestsFor = (text: string) => fake.requests.filter((r) => r.api === api && r.lastUserText === text)

  // Sends a message and waits for the run's end.
  const run = async (text: string, threadId?: string) => {
    const id = `m-${++counter}`
    const ack = await client.request("user_message", id, threadId === undefined ? { text } : { text, thread_id: threadId })
    expect(ack.type).toBe("ack")
    const runId = ack.payload["result"].run_id as string
    const completed = await client.completed(runId)
    return { runId, completed, events: client.runEvents(runId) }
  }

  beforeAll(async () => {
    server = await startServer({ agent: agentLayer({ openaiApi: api }) })
    client = await TestClient.connect(server.wsUrl(server.token(`user-${api}`)))
  })
  afterAll(async () => {
    await client.close()
    await server.close()
  })

  it("streams a tool round trip: the model asks for the calculator, the tool runs, the model answers with 391", async () => {
    const { completed, events } = await run("what is 17 * 23")
    expect(types(events)).toEqual([
      "agent_started",
      "agent_thinking",
      "tool_executing",
      "tool_completed",
      "agent_thinking",
      ...events.slice(5, -1).map(() => "agent_message_delta"),
      "agent_completed"
    ])
    expect(events.length).toBeGreaterThan(6)
    expect(events.every(isServerFrame)).toBe(true)
    const seqs = events.map((e) => e.seq!)
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i))
    expect(events[0]!.payload).toMatchObject({ agent: "openai" })
    const executing = events[2]!
    const toolDone = events[3]!
    expect(executing.payload).toEqual({ tool_call_id: "call_calc_1", tool: "calculator", input: { expression: "17 * 23" } })
    expect(toolDone.payload).toMatchObject({ tool_call_id: "call_calc_1", tool: "calculator", ok: true })
    expect(toolDone.payload["output"]).toMatchObject({ value: 391 })
    expect(completed.payload).toMatchObject({ status: "completed", response: { text: "17 * 23 = 391." } })
    expect(deltasOf(events)).toBe(completed.payload["response"].text)

    // the second model call carried the call and the tool's real output
    const [first, second] = requestsFor("what is 17 * 23")
    expect(first!.messages.map((m) => m.role)).toEqual(["system", "user"])
    expect(second!.messages.map((m) => m.role)).toEqual(["system", "user", "tool_call", "tool"])
    expect(second!.toolOutputs[0]).toContain("391")
    // the tools are declared to the model with their JSON schemas
    expect(JSON.stringify(first!.body["tools"])).toContain("expression")
    expect(JSON.stringify(first!.body["tools"])).toContain("clock")
  })

  it("ends the run failed with MODEL_HTTP_5XX after retrying a 500", async () => {
    const { completed, events } = await run("status 500")
    expect(completed.payload).toMatchObject({ status: "failed", error: { code: "MODEL_HTTP_5XX" } })
    expect(types(events)).toEqual(["agent_started", "agent_thinking", "agent_completed"])
    expect(requestsFor("status 500")).toHaveLength(3) // the first attempt and OPENAI_MAX_RETRIES=2
  })

  it("does not retry a 400: MODEL_HTTP_4XX", async () => {
    const { completed } = await run("status 400")
    expect(completed.payload).toMatchObject({ status: "failed", error: { code: "MODEL_HTTP_4XX" } })
    expect(requestsFor("status 400")).toHaveLength(1)
  })

  it("retries a 429 before anything was streamed, then completes", async () => {
    const { completed, events } = await run("rate limited once")
    expect(completed.payload).toMatchObject({ status: "completed", response: { text: "fine now" } })
    expect(deltasOf(events)).toBe("fine now")
    expect(requestsFor("rate limited once")).toHaveLength(2)
  })

  it("fails a stream that stops mid-way with MODEL_BAD_STREAM, keeps the deltas sent, and does not retry", async () => {
    const { completed, events } = await run("cut")
    expect(completed.payload).toMatchObject({ status: "failed", error: { code: "MODEL_BAD_STREAM" } })
    expect(completed.payload["response"]).toBeUndefined()
    expect(deltasOf(events)).toBe("Hello")
    expect(types(events).at(-1)).toBe("agent_completed")
    expect(requestsFor("cut")).toHaveLength(1)
  })

  it("fails a malformed stream with MODEL_BAD_STREAM", async () => {
    const { completed } = await run("garbage")
    expect(completed.payload).toMatchObject({ status: "failed", error: { code: "MODEL_BAD_STREAM" } })
  })

  it("fails the run with TOOL_FAILED when the tool fails, after closing the tool call's pair", async () => {
    const { completed, events } = await run("divide by zero")
    expect(types(events)).toEqual(["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"])
    expect(events[3]!.payload).toMatchObject({ tool: "calculator", ok: false, output: { error: "division by zero" } })
    expect(completed.payload).toMatchObject({ status: "failed", error: { code: "TOOL_FAILED" } })
  })

  it("stops after AGENT_MAX_STEPS model calls; the last one may not call tools", async () => {
    const { completed, events } = await run("loop forever")
    expect(completed.payload).toMatchObject({ status: "failed", error: { code: "MODEL_MAX_STEPS" } })
    const calls = requestsFor("loop forever")
    expect(calls).toHaveLength(4)
    expect(calls.slice(0, 3).map((r) => r.body["tool_choice"])).toEqual(["auto", "auto", "auto"])
    expect(calls[3]!.body["tool_choice"]).toBe("none")
    expect(types(events).filter((t) => t === "tool_executing")).toHaveLength(3)
  })

  it("stop_agent cancels the run and aborts the request to the model server", async () => {
    const abortedBefore = fake.aborted()
    const ack = await client.request("user_message", `m-${++counter}`, { text: "hang" })
    const runId = ack.payload["result"].run_id as string
    // a delta has arrived: the model's response is streaming right now
    await client.next((f) => f.run_id === runId && f.type === "agent_message_delta")
    const stop = await client.request("stop_agent", `m-${++counter}`, { run_id: runId })
    expect(stop.payload).toMatchObject({ status: "ok", result: { run_id: runId, stopped: true } })
    const completed = await client.completed(runId)
    expect(completed.payload).toMatchObject({ status: "cancelled" })
    await fake.abortedAtLeast(abortedBefore + 1)
    const events = client.runEvents(runId)
    expect(types(events)).toEqual(["agent_started", "agent_thinking", "agent_message_delta", "agent_completed"])
  })

  it("remembers a thread's turns and sends them to the model; other threads do not see them", async () => {
    const first = await run("my name is Ada", `thread-${api}`)
    expect(first.completed.payload).toMatchObject({ status: "completed", response: { text: "Hello Ada!" } })
    const second = await run("what is my name?", `thread-${api}`)
    expect(second.completed.payload).toMatchObject({ status: "completed", response: { text: "You are Ada." } })
    const [withMemory] = requestsFor("what is my name?")
    expect(withMemory!.messages).toEqual([
      expect.objectContaining({ role: "system" }),
      { role: "user", text: "my name is Ada" },
      { role: "assistant", text: "Hello Ada!" },
      { role: "user", text: "what is my name?" }
    ])
    const elsewhere = await run("what is my name?", `another-thread-${api}`)
    expect(elsewhere.completed.payload).toMatchObject({ response: { text: "I do not know." } })
    const noThread = await run("what is my name?")
    expect(noThread.completed.payload).toMatchObject({ response: { text: "I do not know." } })
  })
})

describe("the model agent's timeout", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ agent: agentLayer({ openaiApi: "chat", openaiTimeoutMs: 300 }) })
  })
  afterAll(() => server.close())

  it("ends a run whose model server goes quiet with MODEL_TIMEOUT, and aborts the request", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("patient")))
    const abortedBefore = fake.aborted()
    const ack = await client.request("user_message", "t-1", { text: "hang silently" })
    const completed = await client.completed(ack.payload["result"].run_id as string)
    expect(completed.payload).toMatchObject({ status: "failed", error: { code: "MODEL_TIMEOUT" } })
    await fake.abortedAtLeast(abortedBefore + 1)
    await client.close()
  })
})
