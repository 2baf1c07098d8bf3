import WebSocket from "ws"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

describe("bad input over a real socket (PROTOCOL §3, §9)", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ settings: { maxMessageBytes: 64 * 1024 } })
  })
  afterAll(() => server.close())

  it("answers a burst of malformed frames one by one, in order, and keeps the connection", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("fuzzy")))
    const bad: Array<[string | Buffer, string, string | undefined]> = [
      ["{not json", "INVALID_JSON", undefined],
      ["[1]", "INVALID_MESSAGE", undefined],
      ["42", "INVALID_MESSAGE", undefined],
      ["null", "INVALID_MESSAGE", undefined],
      [JSON.stringify({ type: "ping", id: "" }), "INVALID_MESSAGE", undefined],
      [JSON.stringify({ type: "ping", id: 12 }), "INVALID_MESSAGE", undefined],
      [JSON.stringify({ id: "b1" }), "INVALID_MESSAGE", "b1"],
      [JSON.stringify({ type: "nope", id: "b2" }), "UNKNOWN_TYPE", "b2"],
      [JSON.stringify({ type: "user_message", id: "b3", payload: { text: 5 } }), "INVALID_MESSAGE", "b3"],
      [JSON.stringify({ type: "typing", id: "b4", payload: "x" }), "INVALID_MESSAGE", "b4"],
      [Buffer.from([1, 2, 3]), "INVALID_FRAME", undefined]
    ]
    for (const [frame] of bad) client.ws.send(frame)
    client.send({ type: "ping", id: "after" })
    await client.reply("after")
    const errors = client.frames.filter((f) => f.type === "error")
    expect(errors.map((e) => [e.payload["code"], e.id])).toEqual(bad.map(([, code, id]) => [code, id]))
    const payloadError = errors[8]!
    expect(payloadError.payload["details"]).toEqual({ path: ["payload", "text"], expected: "a string of 1-32000 characters" })
    expect(client.ws.readyState).toBe(WebSocket.OPEN)
    await client.close()
  })

  it("closes only the connection that sent an oversized frame, with 1009", async () => {
    const big = await TestClient.connect(server.wsUrl(server.token("big")))
    const bystander = await TestClient.connect(server.wsUrl(server.token("big")))
    big.send(JSON.stringify({ type: "ping", payload: { blob: "x".repeat(70 * 1024) } }))
    expect((await big.closed).code).toBe(1009)
    expect((await bystander.request("ping", "still-here")).type).toBe("pong")
    await bystander.close()
  })

  it("closes a text frame with invalid UTF-8 with 1007", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("utf")))
    // send raw invalid UTF-8 as a *text* frame
    client.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false })
    expect((await client.closed).code).toBe(1007)
  })
})
