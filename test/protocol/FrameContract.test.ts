import { afterAll, beforeAll, describe, expect, it } from "vitest"
import WebSocket, { WebSocketServer } from "ws"
import { received, violation } from "../support/FrameContract.js"

const frame = (fields: object) => JSON.stringify({ ...fields, ts: "2026-12-05T10:00:00.000Z" })

describe("the contract check of received frames (test/support/checkFrameContract.ts)", () => {
  it("passes every built-in frame as the service writes it", () => {
    const ok = [
      frame({ type: "ack", id: "c-1", payload: { status: "ok", result: { run_id: "r-1" } } }),
      frame({ type: "error", payload: { code: "INVALID_JSON", message: "the frame is not valid JSON" } }),
      frame({ type: "pong", id: "p", payload: {} }),
      frame({ type: "typing", payload: { is_typing: true, connection_id: "c-9" } }),
      frame({ type: "agent_thinking", seq: 3, run_id: "r-1", payload: { text: "…" } }),
      frame({ type: "agent_completed", seq: 9, run_id: "r-1", payload: { run_id: "r-1", status: "cancelled" } }),
      frame({ type: "quote_updated", seq: 4, payload: { price: 42 } })
    ]
    expect(ok.map(violation)).toEqual(ok.map(() => undefined))
  })

  it("names what is off: an unknown field, a missing run_id, a built-in type with another payload", () => {
    expect(violation(frame({ type: "pong", payload: {}, extra: 1 }))).toContain("extra")
    expect(violation(frame({ type: "agent_thinking", seq: 3, payload: { text: "…" } }))).toContain("run_id")
    expect(violation(frame({ type: "agent_completed", seq: 9, run_id: "r", payload: { status: "ok" } }))).toBeDefined()
    expect(violation("not json")).toContain("not JSON")
  })

  describe("over a real socket", () => {
    let server: WebSocketServer
    let url: string
    beforeAll(async () => {
      server = new WebSocketServer({ port: 0, host: "127.0.0.1" })
      await new Promise<void>((resolve) => server.once("listening", () => resolve()))
      url = `ws://127.0.0.1:${(server.address() as { port: number }).port}`
      server.on("connection", (ws) => {
        ws.send(frame({ type: "pong", payload: {} }))
        ws.send(frame({ type: "pong", payload: { surprise: true } }))
      })
    })
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

    it("records every off-contract frame a client receives (and only those)", async () => {
      const ws = new WebSocket(url)
      await new Promise<void>((resolve) => {
        let n = 0
        ws.on("message", () => ++n === 2 && resolve())
      })
      ws.close()
      // taken here, so that this test's deliberate violation does not fail it
      const violations = received.take()
      expect(violations).toHaveLength(1)
      expect(violations[0]).toContain("surprise")
    })
  })
})
