import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import * as Client from "../../src/client/index.js"
import { awaitState, completed, isOpen, record, runEvents } from "../support/ClientRecorder.js"
import { startProxy } from "../support/TcpProxy.js"
import { startServer, token } from "../support/TestServer.js"

const fast = Schedule.exponential("10 millis").pipe(Schedule.union(Schedule.spaced("100 millis")), Schedule.jittered)

describe("the client across a server restart without shared history (PROTOCOL §6, epochs)", () => {
  it.scopedLive("the stream's past is gone: a typed gap, then the new epoch's events from seq 1", () =>
    Effect.gen(function*() {
      // (closed by the test, and by the scope if the test fails first: test files share a worker)
      const first = yield* Effect.acquireRelease(Effect.promise(() => startServer({ settings: { agentStepMs: 1 } })), (s) =>
        Effect.promise(() => s.close()))
      // the client's address stays the proxy's; behind it, the server is replaced
      const proxy = yield* Effect.acquireRelease(Effect.promise(() => startProxy(first.port)), (p) => Effect.promise(() => p.close()))
      const client = yield* Client.make({
        url: `ws://127.0.0.1:${proxy.port}/ws`,
        token: Effect.sync(() => token("restarted")),
        reconnect: fast
      })
      const recorder = yield* record(client)
      const before = yield* awaitState(client, isOpen)
      const { run_id: firstRun } = yield* client.request("user_message", { text: "what is 2 * 3" })
      const seen = runEvents(yield* recorder.until(completed(firstRun)), firstRun)
      const lastSeq = seen.at(-1)!.seq

      yield* Effect.promise(() => first.close())
      yield* awaitState(client, (state) => state._tag === "Reconnecting")
      const second = yield* Effect.acquireRelease(Effect.promise(() => startServer({ settings: { agentStepMs: 1 } })), (s) =>
        Effect.promise(() => s.close()))
      proxy.retarget(second.port)
      const after = yield* awaitState(client, isOpen)
      const { run_id: secondRun } = yield* client.request("user_message", { text: "what is 4 * 5" })
      const events = yield* recorder.until(completed(secondRun))

      const gaps = events.filter(Client.isStreamGap)
      expect(before._tag === "Open" && after._tag === "Open" && before.epoch !== after.epoch).toBe(true)
      expect(gaps).toEqual([{
        type: "stream_gap",
        reason: "EpochChanged",
        previousEpoch: before._tag === "Open" ? before.epoch : "",
        lastSeq,
        epoch: after._tag === "Open" ? after.epoch : ""
      }])
      // in order: the first run, the gap, then the second run counting from 1 in the new epoch
      const gapAt = events.indexOf(gaps[0]!)
      expect(events.slice(0, gapAt)).toEqual(seen)
      const again = runEvents(events.slice(gapAt + 1), secondRun)
      expect(again.map((event) => event.seq)).toEqual(again.map((_, i) => i + 1))
      expect(yield* client.position).toEqual({ epoch: after._tag === "Open" ? after.epoch : "", lastSeq: again.at(-1)!.seq })
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)), 60_000)
})
