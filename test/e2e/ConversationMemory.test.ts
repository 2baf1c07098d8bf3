import { Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as AgentLive from "../../src/agent/AgentLive.js"
import * as SwitchyardConfig from "../../src/Config.js"
import { type FakeOpenAi, type FakeRequest, type Reply, startFakeOpenAi } from "../support/FakeOpenAi.js"
import { TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

// "my name is X" → "Hello X!"; "what is my name?" answers from the turns the model was sent
const script = (request: FakeRequest): Reply => {
  const text = request.lastUserText
  if (text.startsWith("my name is ")) return { _tag: "Text", chunks: [`Hello ${text.slice("my name is ".length)}!`] }
  const introduced = request.messages.find((m) => m.role === "user" && m.text.startsWith("my name is "))
  return { _tag: "Text", chunks: [introduced === undefined ? "I do not know." : `You are ${introduced.text.slice(11)}.`] }
}

describe("conversation memory is bounded in characters per user, across threads (PROTOCOL §10)", () => {
  let fake: FakeOpenAi
  let server: TestServer
  beforeAll(async () => {
    fake = await startFakeOpenAi(script)
    const agent = AgentLive.layer.pipe(Layer.provide(SwitchyardConfig.layerWith({
      agent: "openai",
      openaiBaseUrl: fake.baseUrl,
      openaiModel: "fake-model",
      openaiApi: "chat",
      openaiTimeoutMs: 10_000
    })))
    // one turn "my name is Ada" / "Hello Ada!" is 24 characters: two fit, three do not
    server = await startServer({ agent, settings: { agentMemoryUserChars: 60 } })
  })
  afterAll(async () => {
    await server.close()
    await fake.close()
  })

  it("the least recently used thread is forgotten once the user's threads hold more than the budget", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("many-threads")))
    let counter = 0
    const answer = async (text: string, threadId: string): Promise<unknown> => {
      const ack = await client.request("user_message", `m-${++counter}`, { text, thread_id: threadId })
      const completed = await client.completed(ack.payload["result"].run_id)
      return completed.payload["response"]?.text
    }
    expect(await answer("my name is Ada", "a")).toBe("Hello Ada!")
    expect(await answer("my name is Bob", "b")).toBe("Hello Bob!")
    // both fit: thread "a" still remembers
    expect(await answer("what is my name?", "a")).toBe("You are Ada.")
    expect(await answer("my name is Cyd", "c")).toBe("Hello Cyd!")
    expect(await answer("my name is Dee", "d")).toBe("Hello Dee!")
    // over the budget, the least recently used threads were forgotten; the newest are remembered
    expect(await answer("what is my name?", "d")).toBe("You are Dee.")
    expect(await answer("what is my name?", "b")).toBe("I do not know.")
    expect(await answer("what is my name?", "a")).toBe("I do not know.")
    await client.close()
  })
})
