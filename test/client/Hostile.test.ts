import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Schedule, Scope } from "effect"
import { createServer, type Server } from "node:http"
import { type RawData, type WebSocket, WebSocketServer } from "ws"
import * as Client from "../../src/client/index.js"
import { awaitState, record, stateLog, streamEvents } from "../support/ClientRecorder.js"
import { received } from "../support/FrameContract.js"

/**
 * The client against a hostile (or merely fast) server: every buffer it keeps
 * is bounded, and what the server says is believed only within reason. The
 * servers here are scripted: connection n gets `script(ws, n)`, which may
 * return how it answers a resume.
 */

const ts = new Date().toISOString()
const send = (ws: WebSocket, frame: object) => ws.send(JSON.stringify({ ...frame, ts }))
const greet = (ws: WebSocket, payload: { last_seq?: number; heartbeat_ms?: number } = {}) =>
  send(ws, {
    type: "connection_established",
    payload: { connection_id: "c", user_id: "u", last_seq: 0, epoch: "e1", heartbeat_ms: 30_000, server: { version: "x", node_id: "n" }, ...payload }
  })
const ack = (ws: WebSocket, id: string) => send(ws, { type: "ack", id, payload: { status: "ok", result: { replayed: 0, gap: false, epoch: "e1" } } })
const event = (seq: number, text = "x") => ({ type: "agent_thinking", seq, run_id: "r", payload: { text } })

interface Scripted {
  readonly url: string
  /** the resumes each connection sent, by connection (1, 2, …) */
  readonly resumes: Map<number, Array<{ readonly id: string; readonly payload: { readonly last_seq: number } }>>
  readonly connections: () => number
}

type Answer = (id: string, lastSeq: number) => void

/** A WebSocket server that runs `script` on connection n (1, 2, …) and records the resumes it is sent. */
const scripted = (script: (ws: WebSocket, n: number) => Answer | void) =>
  Effect.acquireRelease(
    Effect.async<WebSocketServer>((resume) => {
      const server: WebSocketServer = new WebSocketServer({ host: "127.0.0.1", port: 0 }, () => resume(Effect.succeed(server)))
    }),
    (server) => Effect.async<void>((resume) => server.close(() => resume(Effect.void)))
  ).pipe(Effect.map((server): Scripted => {
    const resumes: Scripted["resumes"] = new Map()
    let connections = 0
    server.on("connection", (ws: WebSocket) => {
      const n = ++connections
      resumes.set(n, [])
      const answer = script(ws, n)
      ws.on("message", (data: RawData) => {
        const frame = JSON.parse(String(data))
        if (frame.type !== "resume") return
        resumes.get(n)!.push(frame)
        if (answer) answer(frame.id, frame.payload.last_seq)
      })
    })
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    return { url: `ws://127.0.0.1:${port}/ws`, resumes, connections: () => connections }
  }))

const fast = Schedule.spaced("20 millis")

/** A server whose history holds events 1..n: a resume replays what follows its last_seq, then acks. */
const history = (n: number) => (ws: WebSocket): Answer => {
  greet(ws, { last_seq: n })
  return (id, lastSeq) => {
    for (let seq = lastSeq + 1; seq <= n; seq++) send(ws, event(seq))
    ack(ws, id)
  }
}

const reconnectedFor = (states: ReadonlyArray<Client.ConnectionState>) =>
  states.flatMap((state) => state._tag === "Reconnecting" ? [state.disconnect.reason] : [])

describe("the client against a hostile or fast server", () => {
  it.scopedLive("events held past a hole while the resume is unanswered are bounded: past it the connection ends and the next resumes from the last seq delivered", () =>
    Effect.gen(function*() {
      const server = yield* scripted((ws, n) => {
        if (n > 1) return history(3)(ws)
        greet(ws)
        // never acks the resume, streams past a hole (seq 1 never comes), a frame a millisecond
        // (the client keeps up: what it holds grows, not its inbox)
        return () => {
          for (let seq = 2; seq <= 200; seq++) setTimeout(() => ws.readyState === ws.OPEN && send(ws, event(seq)), seq)
        }
      })
      const client = yield* Client.make({ url: server.url, token: Effect.succeed("t"), reconnect: fast, limits: { maxBufferedFrames: 50 } })
      const states = yield* stateLog(client)
      const recorder = yield* record(client)
      const events = yield* recorder.until((events) => events.length >= 3)
      expect(streamEvents(events).map((event) => event.seq)).toEqual([1, 2, 3])
      expect(reconnectedFor(states)[0]).toBe("Abnormal")
      expect(server.resumes.get(2)!.map((frame) => frame.payload.last_seq)).toEqual([0])
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)))

  it.scopedLive("a resume never answered ends the connection after a request's deadline; the next connection resumes", () =>
    Effect.gen(function*() {
      const server = yield* scripted((ws, n) => n === 1 ? greet(ws) : history(1)(ws))
      const client = yield* Client.make({ url: server.url, token: Effect.succeed("t"), reconnect: fast, requestTimeout: "200 millis" })
      const states = yield* stateLog(client)
      const recorder = yield* record(client)
      yield* recorder.until((events) => events.length >= 1)
      expect(reconnectedFor(states)[0]).toBe("Abnormal")
      expect(server.resumes.get(2)!.length).toBe(1)
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)))

  it.scopedLive("a subscriber that does not read: the connection ends as SlowConsumer, and once it is gone the stream goes on from history without a gap", () =>
    Effect.gen(function*() {
      const server = yield* scripted(history(100))
      const client = yield* Client.make({
        url: server.url,
        token: Effect.succeed("t"),
        reconnect: fast,
        resumeFrom: { epoch: "e1", lastSeq: 0 },
        limits: { maxBufferedFrames: 20 }
      })
      const states = yield* stateLog(client)
      const recorder = yield* record(client)
      const stalled = yield* Scope.make()
      // subscribed, never read
      yield* Scope.extend(client.subscribe, stalled)
      yield* awaitState(client, (state) => state._tag === "Reconnecting" && state.disconnect.reason === "SlowConsumer")
      yield* Scope.close(stalled, Exit.void)
      const events = yield* recorder.until((events) => events.length >= 100)
      expect(events.map((event) => event.type === "stream_gap" ? event.reason : event.seq)).toEqual(
        Array.from({ length: 100 }, (_, i) => i + 1)
      )
      expect(reconnectedFor(states)).toContain("SlowConsumer")
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)))

  it.scopedLive("frames bigger than the client buffers: the connection ends as SlowConsumer", () =>
    Effect.gen(function*() {
      const server = yield* scripted((ws) => {
        greet(ws)
        return (id) => {
          ack(ws, id)
          send(ws, event(1, "y".repeat(5_000)))
        }
      })
      const client = yield* Client.make({
        url: server.url,
        token: Effect.succeed("t"),
        reconnect: fast,
        limits: { maxBufferedBytes: 1_000 }
      })
      const state = yield* awaitState(client, (state) => state._tag === "Reconnecting")
      expect(state._tag === "Reconnecting" && state.disconnect.reason).toBe("SlowConsumer")
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)))

  it.scopedLive("a second greeting on one connection is a protocol violation: the client ends it, having resumed once", () =>
    Effect.gen(function*() {
      let closed = false
      const server = yield* scripted((ws, n) => {
        if (n > 1) return history(1)(ws)
        greet(ws)
        greet(ws)
        greet(ws)
        ws.on("close", () => (closed = true))
      })
      const client = yield* Client.make({ url: server.url, token: Effect.succeed("t"), reconnect: fast })
      const states = yield* stateLog(client)
      const recorder = yield* record(client)
      yield* recorder.until((events) => events.length >= 1)
      expect(closed).toBe(true)
      expect(server.resumes.get(1)!.length).toBe(1)
      expect(reconnectedFor(states)[0]).toBe("Abnormal")
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)))

  it.scopedLive("a seq that is no seq (1e300) is a protocol violation, not a frame skipped in silence", () =>
    Effect.gen(function*() {
      const server = yield* scripted((ws, n) => {
        if (n > 1) return history(1)(ws)
        greet(ws)
        return (id) => {
          ack(ws, id)
          ws.send(`{"type":"agent_thinking","seq":1e300,"run_id":"r","payload":{"text":"x"},"ts":"${ts}"}`)
        }
      })
      const client = yield* Client.make({ url: server.url, token: Effect.succeed("t"), reconnect: fast })
      const states = yield* stateLog(client)
      const recorder = yield* record(client)
      const events = yield* recorder.until((events) => events.length >= 1)
      expect(events).toEqual([expect.objectContaining({ type: "agent_thinking", seq: 1 })])
      expect(reconnectedFor(states)[0]).toBe("Abnormal")
      // the frame this test sent off the contract on purpose
      expect(received.take().length).toBeGreaterThan(0)
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)))

  it.scopedLive("a heartbeat_ms of 0.5 does not make the client flap: the connection stays", () =>
    Effect.gen(function*() {
      const server = yield* scripted((ws) => {
        greet(ws, { heartbeat_ms: 0.5 })
        return (id) => {
          ack(ws, id)
          // well within the client's floor (1 s), well past 2 × 0.5 ms
          setTimeout(() => send(ws, event(1)), 300)
        }
      })
      const client = yield* Client.make({ url: server.url, token: Effect.succeed("t"), reconnect: fast })
      const states = yield* stateLog(client)
      const recorder = yield* record(client)
      yield* recorder.until((events) => events.length >= 1)
      expect(server.connections()).toBe(1)
      expect(reconnectedFor(states)).toEqual([])
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)))
})

/** An HTTP server that answers every upgrade and every GET with `status` and `headers`. */
const refusing = (status: number, headers: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.async<{ server: Server; hits: () => number }>((resume) => {
      let hits = 0
      const server = createServer((_, response) => {
        hits++
        response.writeHead(status, headers).end()
      })
      server.on("upgrade", (_, socket) => {
        hits++
        const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join("")
        socket.end(`HTTP/1.1 ${status} Refused\r\n${lines}Content-Length: 0\r\nConnection: close\r\n\r\n`)
      })
      server.listen(0, "127.0.0.1", () => {
        resume(Effect.succeed({ server, hits: () => hits }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
  )

const portOf = (server: Server) => {
  const address = server.address()
  return typeof address === "object" && address !== null ? address.port : 0
}

describe("the client against a server's refusals", () => {
  it.scopedLive("Retry-After: 0 is no tight loop: the reconnect schedule still steps (and ends)", () =>
    Effect.gen(function*() {
      const { hits, server } = yield* refusing(429, { "retry-after": "0" })
      const client = yield* Client.make({
        url: `ws://127.0.0.1:${portOf(server)}/ws`,
        token: Effect.succeed("t"),
        reconnect: Schedule.spaced("10 millis").pipe(Schedule.intersect(Schedule.recurs(3)))
      })
      const state = yield* awaitState(client, (state) => state._tag === "Closed")
      expect(state._tag === "Closed" && state.disconnect?.reason).toBe("RateLimited")
      // four attempts (the first and three retries), each an upgrade and its probe
      expect(hits()).toBe(8)
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)))

  it.scopedLive("the probe does not follow a redirect: the token-bearing URL goes to no other server", () =>
    Effect.gen(function*() {
      const elsewhere = yield* refusing(200, {})
      const { server } = yield* refusing(302, { location: `http://127.0.0.1:${portOf(elsewhere.server)}/steal` })
      const client = yield* Client.make({
        url: `ws://127.0.0.1:${portOf(server)}/ws`,
        token: Effect.succeed("secret"),
        reconnect: Schedule.recurs(1)
      })
      const state = yield* awaitState(client, (state) => state._tag === "Closed")
      expect(state._tag === "Closed" && state.disconnect?.reason).toBe("Unreachable")
      expect(elsewhere.hits()).toBe(0)
    }).pipe(Effect.provide(NodeSocket.layerWebSocketConstructor)))
})
