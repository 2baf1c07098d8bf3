import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { type RawData, type WebSocket, WebSocketServer } from "ws"
import * as Client from "../../src/client/index.js"
import { record } from "../support/ClientRecorder.js"
import { received } from "../support/FrameContract.js"

/** A scripted server: greets, and answers the client's resume with `events` (raw frames) and its ack. */
const scripted = (events: ReadonlyArray<object>) =>
  Effect.acquireRelease(
    Effect.async<WebSocketServer>((resume) => {
      const server: WebSocketServer = new WebSocketServer({ host: "127.0.0.1", port: 0 }, () => resume(Effect.succeed(server)))
      const ts = new Date().toISOString()
      server.on("connection", (ws: WebSocket) => {
        ws.send(JSON.stringify({
          type: "connection_established",
          payload: { connection_id: "c-1", user_id: "u", last_seq: 0, epoch: "e1", heartbeat_ms: 30_000, server: { version: "x", node_id: "n" } },
          ts
        }))
        ws.on("message", (data: RawData) => {
          const frame = JSON.parse(String(data))
          if (frame.type !== "resume") return
          for (const event of events) ws.send(JSON.stringify({ ...event, ts }))
          ws.send(JSON.stringify({ type: "ack", id: frame.id, payload: { status: "ok", result: { replayed: 0, gap: false, epoch: "e1" } }, ts }))
        })
      })
    }),
    (server) => Effect.async<void>((resume) => server.close(() => resume(Effect.void)))
  )

describe("a server off the contract the client knows", () => {
  it.scopedLive("a stream event that does not decode keeps its place: a gap, then the events after it", () =>
    Effect.gen(function*() {
      const server = yield* scripted([
        { type: "agent_thinking", seq: 1, run_id: "r", payload: { text: "fine" } },
        { type: "agent_thinking", seq: 2, run_id: "r", payload: { text: 42 } },
        { type: "agent_thinking", seq: 3, run_id: "r", payload: { text: "fine again" } }
      ])
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      const client = yield* Client.make({ url: `ws://127.0.0.1:${port}/ws`, token: Effect.succeed("t") })
      const recorder = yield* record(client)
      const events = yield* recorder.until((events) => events.length >= 3)
      expect(events.map((event) => event.type === "stream_gap" ? event.reason : `${event.type} ${event.seq}`)).toEqual([
        "agent_thinking 1",
        "Undecodable",
        "agent_thinking 3"
      ])
      expect(events[1]).toEqual({ type: "stream_gap", reason: "Undecodable", previousEpoch: "e1", lastSeq: 1, epoch: "e1" })
      // the suite's contract check saw the frame this test sent off the contract on purpose, and only that one
      expect(received.take().map((violation) => violation.split("\n")[0])).toEqual([expect.stringContaining(`"seq":2`)])
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)))
})
