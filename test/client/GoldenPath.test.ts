import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Stream, SubscriptionRef } from "effect"
import { afterAll, beforeAll } from "vitest"
import * as Client from "../../src/client/index.js"
import { completed, record, runEvents } from "../support/ClientRecorder.js"
import { startServer, type TestServer } from "../support/TestServer.js"

describe("the client's golden path against the real server", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ settings: { agentStepMs: 2 } })
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
})
