import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { BUILTIN_SERVER_TYPES, extensionEvent } from "../../src/protocol/ExtensionEvent.js"
import { FrameError } from "../../src/protocol/FrameError.js"
import * as ServerFrame from "../../src/protocol/ServerFrame.js"
import { decodeServerEvent, isBuiltinServerEvent, ServerEvents } from "../../src/protocol/ServerEvent.js"
import { StreamEvent } from "../../src/protocol/StreamEvents.js"

// strict, as the contract tests decode: no field beyond those the schema names
const decodeStrict = Schema.decodeUnknownEither(
  Schema.Union(...Object.values(ServerEvents)),
  { onExcessProperty: "error" }
)
const wire = (text: string) => JSON.parse(text) as unknown

const metrics = { runs: 2, completed: 1, failed: 1, cancelled: 0, success_rate: 0.5, latency_ms: { p50: 5, p95: 9 }, tools: { calculator: 1 } }

/** One event of every built-in stream type, as the service emits them. */
const streamEvents: ReadonlyArray<StreamEvent> = [
  { type: "agent_started", run_id: "r-1", payload: { run_id: "r-1", thread_id: "t", agent: "builtin" } },
  { type: "agent_thinking", run_id: "r-1", payload: { text: "…" } },
  { type: "tool_executing", run_id: "r-1", payload: { tool_call_id: "c1", tool: "calculator", input: { expression: "17 * 23" } } },
  { type: "tool_completed", run_id: "r-1", payload: { tool_call_id: "c1", tool: "calculator", output: 391, ok: true } },
  { type: "agent_message_delta", run_id: "r-1", payload: { text: "391" } },
  { type: "agent_completed", run_id: "r-1", payload: { run_id: "r-1", status: "completed", response: { text: "391" } } },
  { type: "agent_completed", run_id: "r-2", payload: { run_id: "r-2", status: "failed", error: { code: "NODE_LOST", message: "m" } } },
  { type: "agent_completed", run_id: "r-3", payload: { run_id: "r-3", status: "cancelled" } },
  { type: "quality_alert", payload: { kind: "breach", reasons: ["r"], metrics, thresholds: { min_success_rate: 0.9 } } }
]

describe("the frame schemas (src/protocol)", () => {
  it("name every built-in server type once, and the extension type excludes exactly those", () => {
    expect(Object.keys(ServerEvents).sort()).toEqual([...BUILTIN_SERVER_TYPES].sort())
    for (const [type, schema] of Object.entries(ServerEvents)) {
      expect(schema.fields.type.literals).toEqual([type])
    }
    for (const type of BUILTIN_SERVER_TYPES) expect(() => extensionEvent(type, {})).toThrow()
    expect(extensionEvent("quote_updated", { price: 1 })).toEqual({ type: "quote_updated", payload: { price: 1 } })
  })

  it("decode every frame the builders write (acks, errors, pongs, notices, every stream event)", () => {
    const frames = [
      ServerFrame.ack("c-1", "ok", { run_id: "r-1" }),
      ServerFrame.ack("c-2", "duplicate", undefined),
      ServerFrame.error("c-3", FrameError.invalidMessage("payload.text: is missing", ["payload", "text"], "a string")),
      ServerFrame.error(undefined, new FrameError({ code: "INVALID_JSON", message: "the frame is not valid JSON" })),
      ServerFrame.pong("p"),
      ServerFrame.pong(undefined),
      ServerFrame.notice("typing", { is_typing: true, thread_id: undefined, connection_id: "c-9" }),
      ServerFrame.notice("connection_established", {
        connection_id: "c-9",
        user_id: "alice",
        last_seq: 0,
        epoch: "e1",
        heartbeat_ms: 30_000,
        server: { version: "0.1.0", node_id: "n1" }
      }),
      ...streamEvents.map((event, i) => ServerFrame.streamEvent(i + 1, event, ServerFrame.isoNow())),
      ServerFrame.streamEvent(99, extensionEvent("quote_updated", { price: 42 }, "r-9"), ServerFrame.isoNow())
    ]
    for (const text of frames) expect(Either.isRight(decodeServerEvent(wire(text))), text).toBe(true)
    // and the built-in ones strictly: nothing beyond what their schema names
    for (const text of frames.slice(0, -1)) expect(Either.isRight(decodeStrict(wire(text))), text).toBe(true)
  })

  it("refuse a built-in type off its schema: it is not taken for an extension event", () => {
    const ts = ServerFrame.isoNow()
    const bad = [
      { type: "agent_completed", seq: 1, run_id: "r", payload: { status: "ok" }, ts },
      { type: "agent_thinking", seq: 1, payload: { text: "no run_id" }, ts },
      { type: "ack", payload: { status: "ok", result: {} }, ts },
      { type: "error", payload: { code: "NOPE", message: "m" }, ts },
      { type: "quote_updated", payload: {}, ts }
    ]
    for (const frame of bad) expect(Either.isLeft(decodeServerEvent(frame)), JSON.stringify(frame)).toBe(true)
  })

  it("StreamEvent is each stream frame without seq and ts: the head and tail around a seq make its frame", () => {
    for (const event of streamEvents) {
      expect(Either.isRight(Schema.decodeUnknownEither(StreamEvent)(event))).toBe(true)
      const ts = ServerFrame.isoNow()
      const text = ServerFrame.streamEventHead(event.type) + 7 + ServerFrame.streamEventTail(event, ts)
      expect(Either.isRight(decodeStrict(wire(text))), text).toBe(true)
    }
  })

  it("isBuiltinServerEvent sets the extension events apart, so that a switch on a built-in frame's type narrows its payload", () => {
    const ts = ServerFrame.isoNow()
    const frames = [
      { type: "agent_message_delta", seq: 1, run_id: "r", payload: { text: "391" }, ts },
      { type: "quote_updated", seq: 2, payload: { price: 42 }, ts }
    ]
    const seen = frames.map((wireFrame) => {
      const frame = Either.getOrThrow(decodeServerEvent(wireFrame))
      if (!isBuiltinServerEvent(frame)) return `extension ${frame.type}`
      // compiles only because the union is closed: `payload.text` exists on this type alone
      return frame.type === "agent_message_delta" ? `delta ${frame.payload.text}` : frame.type
    })
    expect(seen).toEqual(["delta 391", "extension quote_updated"])
  })
})
