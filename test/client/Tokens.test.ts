import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Schedule, Stream } from "effect"
import { afterAll, beforeAll } from "vitest"
import * as Client from "../../src/client/index.js"
import { awaitState, completed, isOpen, record, runEvents, stateLog } from "../support/ClientRecorder.js"
import { startServer, type TestServer, token } from "../support/TestServer.js"

describe("the client's token (PROTOCOL §2)", () => {
  let server: TestServer
  beforeAll(async () => {
    // a run of "what is 17 * 23" takes a few seconds: long enough for its token to expire mid-run
    server = await startServer({ settings: { agentStepMs: 500 } })
  })
  afterAll(() => server.close())

  const url = () => `ws://127.0.0.1:${server.port}/ws`

  it.scopedLive("4001: a fresh token is fetched, the client reconnects and the stream goes on without loss", () =>
    Effect.gen(function*() {
      let fetched = 0
      // the first token lives two seconds; every later one an hour
      const fresh = Effect.sync(() => token("expiring", { ttlS: ++fetched === 1 ? 2 : 3600 }))
      const client = yield* Client.make({ url: url(), token: fresh })
      const recorder = yield* record(client)
      const states = yield* stateLog(client)
      yield* awaitState(client, isOpen)
      const { run_id } = yield* client.request("user_message", { text: "what is 17 * 23" })
      expect(states.filter(isOpen)).toHaveLength(1)
      const events = runEvents(yield* recorder.until(completed(run_id)), run_id)
      expect(states.find((state) => state._tag === "Reconnecting")).toMatchObject({
        disconnect: { reason: "TokenExpired", code: 4001 }
      })
      // the expiry fell inside the run: its events came on two connections, once each, in order
      expect(events.map((event) => event.seq)).toEqual(events.map((_, i) => i + 1))
      const done = events.at(-1)!
      expect(done.type === "agent_completed" && done.payload).toEqual({ run_id, status: "completed", response: { text: "17 * 23 = 391" } })
      expect(recorder.events().filter(Client.isStreamGap)).toEqual([])
      expect(fetched).toBe(2)
      expect(states.filter(isOpen)).toHaveLength(2)
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)), 30_000)

  it.scopedLive("401: the client stops with a typed failure, without a retry loop", () =>
    Effect.gen(function*() {
      let fetched = 0
      const forged = Effect.sync(() => (fetched++, token("mallory", { secret: "not-the-server-secret" })))
      const client = yield* Client.make({ url: url(), token: forged, reconnect: Schedule.spaced("10 millis") })
      const recorder = yield* record(client)
      const closed = yield* awaitState(client, (state) => state._tag === "Closed")
      expect(closed).toMatchObject({ _tag: "Closed", disconnect: { reason: "Unauthorized" } })
      const failure = yield* Effect.flip(client.request("user_message", { text: "hi" }))
      expect(failure).toMatchObject({ _tag: "ClientStopped", disconnect: { reason: "Unauthorized" } })
      expect(failure.message).not.toContain("access_token")
      // the stream fails with the same reason, for a subscriber of before and one of after
      expect(yield* recorder.ended).toEqual(Option.some(failure))
      const late = yield* Effect.flip(Effect.flatMap(client.subscribe, Stream.runDrain))
      expect(late).toMatchObject({ _tag: "ClientStopped" })
      // one connect, one token: no loop
      yield* Effect.sleep("200 millis")
      expect(fetched).toBe(1)
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)), 30_000)
})
