import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Schema, Stream, SubscriptionRef } from "effect"
import { afterAll, beforeAll } from "vitest"
import * as Client from "../../src/client/index.js"
import { completed, record, runEvents } from "../support/ClientRecorder.js"
import { startServer, type TestServer } from "../support/TestServer.js"
import { BuiltinHandlers, Emitter, Handler } from "../../src/index.js"
import { extensionEvent } from "../../src/protocol/ExtensionEvent.js"

// a request type of the app's own: its schemas, declared once for the handler and the client
const Quote = {
  payload: Schema.Struct({ symbol: Schema.String }),
  success: Schema.Struct({ price: Schema.Number })
}
const quote = Handler.make("quote", {
  ...Quote,
  handle: ({ symbol }) =>
    Effect.gen(function*() {
      const emitter = yield* Emitter.Emitter
      yield* emitter.emit(extensionEvent("quote_updated", { symbol, price: 42 }))
      return { price: 42 }
    })
})

describe("the client's golden path against the real server", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ settings: { agentStepMs: 2 }, handlers: [...BuiltinHandlers, quote] })
  })
  afterAll(() => server.close())

  const connect = (user: string) =>
    Client.make({ url: `ws://127.0.0.1:${server.port}/ws`, token: Effect.sync(() => server.token(user)) })

  it.scopedLive("user_message: a typed ack, then the run's events in order to agent_completed", () =>
    Effect.gen(function*() {
      const client = yield* connect("alice")
      const recorder = yield* record(client)
      const { run_id } = yield* client.request("user_message", { text: "what is 17 * 23" })
      expect(run_id).toEqual(expect.any(String))
      const events = runEvents(yield* recorder.until(completed(run_id)), run_id)
      expect(events.map((event) => event.type)).toEqual([
        "agent_started",
        "agent_thinking",
        "agent_thinking",
        "tool_executing",
        "tool_completed",
        ...events.slice(5, -1).map(() => "agent_message_delta"),
        "agent_completed"
      ])
      // the user's stream: seq from 1, by 1
      expect(events.map((event) => event.seq)).toEqual(events.map((_, i) => i + 1))
      const done = events.at(-1)!
      expect(done.type === "agent_completed" && done.payload).toMatchObject({ status: "completed", response: { text: "17 * 23 = 391" } })
      const state = yield* SubscriptionRef.get(client.state)
      expect(state).toMatchObject({ _tag: "Open", userId: "alice" })
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)))

  it.scopedLive("start_agent and stop_agent: typed results; a server error carries its protocol code", () =>
    Effect.gen(function*() {
      const client = yield* connect("bob")
      const events = yield* client.subscribe
      const { run_id } = yield* client.request("start_agent", { text: "what is 2 + 2" })
      const done = yield* events.pipe(
        Stream.filter((event) => event.type === "agent_completed" && event.run_id === run_id),
        Stream.runHead
      )
      expect(done._tag).toBe("Some")
      const stopped = yield* client.request("stop_agent", { run_id })
      expect(stopped).toEqual({ run_id, stopped: false })
      const unknown = yield* Effect.flip(client.request("stop_agent", { run_id: "no-such-run" }))
      expect(unknown).toMatchObject({ _tag: "FrameError", code: "NOT_FOUND" })
      expect(yield* client.request("ping", {})).toEqual({})
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)))

  it.scopedLive("a payload off its schema fails before it is sent, with the code the server would answer", () =>
    Effect.gen(function*() {
      const client = yield* connect("carol")
      const error = yield* Effect.flip(client.request("user_message", { text: "" }))
      expect(error).toMatchObject({ _tag: "FrameError", code: "INVALID_MESSAGE", details: { path: ["payload", "text"] } })
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)))

  it.scopedLive("as a Layer: the SwitchyardClient service", () =>
    Effect.gen(function*() {
      const client = yield* Client.SwitchyardClient
      expect(yield* client.request("typing", { is_typing: true })).toEqual({})
    }).pipe(
      Effect.provide(
        Client.layer({ url: `ws://127.0.0.1:${server.port}/ws`, token: Effect.sync(() => server.token("dave")) }).pipe(
          Layer.provide(NodeSocket.layerWebSocketConstructor)
        )
      )
    ))

  it.scopedLive("a request type of the app's own, and its events: typed by the schemas it was declared with", () =>
    Effect.gen(function*() {
      const client = yield* connect("erin")
      const recorder = yield* record(client)
      expect(yield* client.requestWith("quote", Quote, { symbol: "ACME" })).toEqual({ price: 42 })
      const [event] = yield* recorder.until((events) => events.length > 0)
      // a type the protocol does not define comes wrapped, as it was sent
      expect(event).toMatchObject({
        type: "extension_event",
        seq: 1,
        frame: { type: "quote_updated", seq: 1, payload: { symbol: "ACME", price: 42 } }
      })
      const refused = yield* Effect.flip(client.requestWith("quote", Quote, { symbol: 7 } as never))
      expect(refused).toMatchObject({ _tag: "FrameError", code: "INVALID_MESSAGE", details: { path: ["payload", "symbol"] } })
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)))

  it.scopedLive("typed results of the quality requests", () =>
    Effect.gen(function*() {
      const client = yield* connect("frank")
      const validation = yield* client.request("quality_validation", { content: "```unbalanced" })
      expect(validation.valid).toBe(false)
      expect(validation.issues.map((issue) => issue.rule)).toContain("unbalanced_code_fence")
      const metrics = yield* client.request("quality_metrics", {})
      expect(metrics.runs).toBe(0)
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)))
})
