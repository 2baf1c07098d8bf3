import { Effect, Schema } from "effect"
import WebSocket from "ws"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { BuiltinHandlers } from "../../src/handlers/index.js"
import { FrameError } from "../../src/protocol/FrameError.js"
import * as Handler from "../../src/handlers/Handler.js"
import { TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

/** `[[[...]]]` nested `depth` levels deep, as text (building it as a value would be the bug). */
const nestedText = (depth: number): string => "[".repeat(depth) + "]".repeat(depth)

/** A value nested `depth` levels deep, built without recursion. */
const nestedValue = (depth: number): unknown => {
  let value: unknown = []
  for (let i = 1; i < depth; i++) value = [value]
  return value
}

// handlers whose results (or errors) `JSON.stringify` cannot encode
const echo = Handler.make("echo", {
  payload: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  success: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  handle: (payload) => Effect.succeed(payload)
})
const bigint = Handler.make("bigint_result", {
  payload: Schema.Struct({}),
  // encoding-free (no transformation), so the bigint reaches JSON.stringify as the handler made it
  success: Schema.Struct({ n: Schema.BigIntFromSelf }),
  handle: () => Effect.succeed({ n: BigInt(1) })
})
const deepResult = Handler.make("deep_result", {
  payload: Schema.Struct({}),
  success: Schema.Struct({ deep: Schema.Unknown }),
  handle: () => Effect.succeed({ deep: nestedValue(20_000) })
})
const throwingGetter = Handler.make("getter_result", {
  payload: Schema.Struct({}),
  success: Schema.Struct({ boom: Schema.String }),
  handle: () =>
    Effect.succeed({
      get boom(): string {
        throw new Error("a getter that throws")
      }
    })
})
const badDetails = Handler.make("bad_details", {
  payload: Schema.Struct({}),
  success: Schema.Struct({}),
  handle: () => Effect.fail(FrameError.handlerFailed("failed with details no one can encode", { n: BigInt(2) }))
})

describe("one frame's failure never stops the connection's other frames (hardening)", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({
      handlers: [...BuiltinHandlers, echo, bigint, deepResult, throwingGetter, badDetails],
      settings: { maxMessageBytes: 1024 * 1024 }
    })
  })
  afterAll(() => server.close())

  it("a frame nested deeper than MAX_JSON_DEPTH is INVALID_MESSAGE with its id, and nothing recursive sees it", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("deep-json")))
    // the echo handler would encode the payload in its ack: 6,000 levels overflow JSON.stringify
    client.send(`{"type":"echo","id":"deep-1","payload":{"a":${nestedText(6000)}}}`)
    const deep = await client.reply("deep-1")
    expect(deep.type).toBe("error")
    expect(deep.payload["code"]).toBe("INVALID_MESSAGE")
    expect(deep.payload["details"]).toEqual({ path: ["payload"], expected: "at most 64 levels of nested arrays and objects" })
    // the id after the deep part is found too; a batch's inner frames are part of the same text
    client.send(`{"type":"echo","payload":{"a":${nestedText(100)}},"id":"deep-2"}`)
    expect((await client.reply("deep-2")).payload["code"]).toBe("INVALID_MESSAGE")
    client.send(`{"type":"batch","id":"deep-3","payload":{"messages":[{"type":"echo","id":"in","payload":{"a":${nestedText(6000)}}}]}}`)
    expect((await client.reply("deep-3")).payload["code"]).toBe("INVALID_MESSAGE")
    // brackets inside strings are not nesting: a frame within the bound is served
    const shallow = await client.request("echo", "shallow", { a: "[[[[".repeat(100), b: nestedValue(40) })
    expect(shallow.type).toBe("ack")
    expect((await client.request("ping", "after-deep")).type).toBe("pong")
    expect(client.ws.readyState).toBe(WebSocket.OPEN)
    await client.close()
  })

  it("a reply that cannot be encoded is answered INTERNAL with the frame's id, and the next frames are answered", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("bad-results")))
    for (const type of ["bigint_result", "deep_result", "getter_result", "bad_details"]) {
      const reply = await client.request(type, `r-${type}`, {})
      expect(reply.type).toBe("error")
      expect(reply.payload["code"]).toBe("INTERNAL")
      expect(reply.payload["message"]).toBe("internal error")
      // the next frame, ping included, is still answered on the same connection
      expect((await client.request("ping", `p-${type}`)).type).toBe("pong")
    }
    // a frame without an id whose reply fails is answered too (without an id)
    client.send({ type: "bad_details" })
    const anonymous = await client.next((f) => f.type === "error" && f.id === undefined)
    expect(anonymous.payload["code"]).toBe("INTERNAL")
    expect((await client.request("echo", "still-ok", { x: 1 })).payload["result"]).toEqual({ x: 1 })
    await client.close()
  })
})
