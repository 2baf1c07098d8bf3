import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Schedule } from "effect"
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest"
import * as Client from "../../src/client/index.js"
import { awaitState, completed, isOpen, record, stateLog, streamEvents } from "../support/ClientRecorder.js"
import { startProxy, type TcpProxy } from "../support/TcpProxy.js"
import { type Frame, TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

/** Reconnects within tens of milliseconds: the tests cut often. */
const fast = Schedule.exponential("5 millis").pipe(Schedule.union(Schedule.spaced("40 millis")), Schedule.jittered)

/** A seeded random source (mulberry32): a failure names its seed. */
const random = (seed: number) => () => {
  seed = (seed + 0x6D2B79F5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const seqs = (frames: ReadonlyArray<Frame>) => frames.filter((frame) => frame.seq !== undefined)

describe("the client across a network that fails (a TCP proxy the test cuts)", () => {
  let server: TestServer
  let proxy: TcpProxy
  beforeAll(async () => {
    server = await startServer({ settings: { agentStepMs: 3, maxRunsPerUser: 100, runRateLimitPerMin: 100_000 } })
  })
  afterAll(() => server.close())
  beforeEach(async () => {
    proxy = await startProxy(server.port)
  })
  afterEach(() => proxy.close())

  const connect = (user: string, options: Partial<Client.ClientOptions> = {}) =>
    Client.make({
      url: `ws://127.0.0.1:${proxy.port}/ws`,
      token: Effect.sync(() => server.token(user)),
      reconnect: fast,
      ...options
    })

  /** A plain WebSocket of the same user, straight to the server: it sees the whole stream, never cut. */
  const observe = (user: string) =>
    Effect.acquireRelease(
      Effect.promise(() => TestClient.connect(server.wsUrl(server.token(user)))),
      (client) => Effect.promise(() => client.close())
    )

  it.scopedLive("cut 50 times at random points mid-run: every event delivered once and in order, every request run once", () =>
    Effect.gen(function*() {
      const seed = Date.now()
      const next = random(seed)
      const observer = yield* observe("cut")
      const client = yield* connect("cut")
      const recorder = yield* record(client)
      const states = yield* stateLog(client)
      let cuts = 0
      const cutter = yield* Effect.fork(Effect.gen(function*() {
        while (cuts < 50) {
          yield* awaitState(client, isOpen)
          yield* Effect.sleep(Math.floor(next() * 40))
          proxy.sever()
          cuts++
          // the client has seen this cut before the next one is made
          yield* awaitState(client, (state) => !isOpen(state))
        }
      }))
      const runIds: Array<string> = []
      for (let i = 1; cuts < 50 || runIds.length < 2; i++) {
        const { run_id } = yield* client.request("user_message", { text: `what is ${i} * 7` })
        runIds.push(run_id)
        yield* recorder.until(completed(run_id))
      }
      yield* Fiber.join(cutter)
      yield* Effect.promise(() => observer.completed(runIds.at(-1)!))

      const delivered = recorder.events()
      const context = `seed ${seed}`
      expect(delivered.filter(Client.isStreamGap), context).toEqual([])
      // exactly the stream the uncut observer saw: same seqs, same events, same order
      const shape = (event: { readonly seq?: number | undefined; readonly type: string; readonly run_id?: string | undefined }) =>
        `${event.seq} ${event.type} ${event.run_id}`
      expect(streamEvents(delivered).map(shape), context).toEqual(seqs(observer.frames).map(shape))
      // every request ran once: one run each, the runs the server started
      expect(new Set(runIds).size, context).toBe(runIds.length)
      expect(observer.frames.filter((frame) => frame.type === "agent_started").map((frame) => frame.run_id), context).toEqual(runIds)
      // the cuts were seen as cuts, and the client came back after each
      expect(states.filter((state) => state._tag === "Reconnecting").length, context).toBeGreaterThanOrEqual(50)
      expect(
        states.flatMap((state) => state._tag === "Reconnecting" ? [state.disconnect.reason] : []).every((reason) => reason === "Abnormal"),
        context
      ).toBe(true)
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)), 120_000)

  it.scopedLive("a request made while disconnected waits, then is sent once and processed once after the reconnect", () =>
    Effect.gen(function*() {
      const observer = yield* observe("offline")
      const client = yield* connect("offline")
      const recorder = yield* record(client)
      const states = yield* stateLog(client)
      yield* awaitState(client, isOpen)
      proxy.block()
      yield* awaitState(client, (state) => state._tag === "Reconnecting")
      const request = yield* Effect.fork(client.request("user_message", { text: "what is 6 * 7" }))
      // several attempts fail while the request waits
      yield* awaitState(client, (state) => state._tag === "Connecting" && state.attempt >= 4)
      expect(observer.frames.some((frame) => frame.type === "agent_started")).toBe(false)
      proxy.unblock()
      const { run_id } = yield* Fiber.join(request)
      yield* recorder.until(completed(run_id))
      yield* Effect.promise(() => observer.completed(run_id))
      expect(observer.frames.filter((frame) => frame.type === "agent_started").map((frame) => frame.run_id)).toEqual([run_id])
      // the network was down, not the token refused: no HTTP answer at all
      const reasons = states.flatMap((state) => state._tag === "Reconnecting" ? [state.disconnect.reason] : [])
      expect(reasons[0]).toBe("Abnormal")
      expect(reasons.slice(1).every((reason) => reason === "Unreachable")).toBe(true)
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)), 60_000)

  it.scopedLive("a request whose ack was lost is resent with its id: answered with the first result, run once", () =>
    Effect.gen(function*() {
      const observer = yield* observe("lost-ack")
      const client = yield* connect("lost-ack")
      const recorder = yield* record(client)
      yield* awaitState(client, isOpen)
      // the server gets the request; its ack and events never come back on this connection
      proxy.mute()
      const request = yield* Effect.fork(client.request("user_message", { text: "what is 17 * 23" }))
      const started = yield* Effect.promise(() => observer.next((frame) => frame.type === "agent_started"))
      proxy.sever()
      const { run_id } = yield* Fiber.join(request)
      expect(run_id).toBe(started.run_id)
      yield* recorder.until(completed(run_id))
      yield* Effect.promise(() => observer.completed(run_id))
      expect(observer.frames.filter((frame) => frame.type === "agent_started")).toHaveLength(1)
      // the events the muted connection lost were replayed by the resume
      expect(streamEvents(recorder.events()).map((event) => event.seq)).toEqual(seqs(observer.frames).map((frame) => frame.seq))
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)), 60_000)

  it.scopedLive("a connection gone silent is found by the client's heartbeat and replaced", () =>
    Effect.gen(function*() {
      const client = yield* connect("silent", { heartbeat: "100 millis" })
      const states = yield* stateLog(client)
      const first = yield* awaitState(client, isOpen)
      proxy.mute()
      const second = yield* awaitState(client, (state) => isOpen(state) && state !== first)
      expect(second._tag === "Open" && first._tag === "Open" && second.connectionId !== first.connectionId).toBe(true)
      expect(states.find((state) => state._tag === "Reconnecting")).toMatchObject({ disconnect: { reason: "HeartbeatTimeout" } })
      expect(yield* client.request("ping", {})).toEqual({})
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)), 60_000)

  it.scopedLive("a request that gets no answer before its deadline fails with RequestTimeout, and is not sent later", () =>
    Effect.gen(function*() {
      const observer = yield* observe("deadline")
      const client = yield* connect("deadline", { requestTimeout: "300 millis" })
      yield* awaitState(client, isOpen)
      proxy.block()
      const failure = yield* Effect.flip(client.request("user_message", { text: "too late" }))
      expect(failure).toMatchObject({ _tag: "RequestTimeout", type: "user_message" })
      proxy.unblock()
      yield* awaitState(client, isOpen)
      // the connection is back and a later request goes through: the late one was never sent
      yield* client.request("ping", {})
      expect(observer.frames.some((frame) => frame.type === "agent_started")).toBe(false)
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)), 60_000)
})
