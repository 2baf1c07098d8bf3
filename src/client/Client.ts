import * as Socket from "@effect/platform/Socket"
import {
  Chunk,
  Context,
  Deferred,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Option,
  PubSub,
  Queue,
  Schedule,
  Schema,
  type Scope,
  Stream,
  SubscriptionRef,
  Take
} from "effect"
import { toFrameError } from "../protocol/DecodeFailure.js"
import { FrameError } from "../protocol/FrameError.js"
import { ClientStopped, RequestTimeout } from "./ClientError.js"
import { ConnectionState } from "./ConnectionState.js"
import { type Disconnect, fromCloseCode, reaction } from "./Disconnect.js"
import * as Inbound from "./Inbound.js"
import { type RequestPayload, type RequestResult, Requests, type RequestSpec, type RequestType } from "./Requests.js"
import { type StreamGap, StreamCursor, type StreamPosition } from "./StreamCursor.js"
import * as UpgradeProbe from "./UpgradeProbe.js"

/** What the client's stream carries: the user's stream events, and a gap where some were lost. */
export type ClientEvent = Inbound.StreamEvent | StreamGap

/** Why a request failed: the server's error (with its protocol code), no answer in time, or a stopped client. */
export type RequestError = FrameError | RequestTimeout | ClientStopped

/** How to reach the service, and how to behave when the connection goes. */
export interface ClientOptions {
  /** The WebSocket endpoint, e.g. `ws://localhost:8080/ws`. */
  readonly url: string
  /**
   * The JWT, run at every connect: after a `4001` (token expired) it must
   * yield a fresh one. Sent as the `access_token` query parameter (browsers
   * cannot set headers on a WebSocket). A failure is retried on the reconnect schedule.
   */
  readonly token: Effect.Effect<string, unknown>
  /**
   * The delays between reconnect attempts; reset after each greeted
   * connection. Default: exponential from 200 ms, capped at 10 s, jittered,
   * forever. When it ends, the client stops.
   */
  readonly reconnect?: Schedule.Schedule<unknown, Disconnect> | undefined
  /** How long a request is resent across reconnects before it fails with `RequestTimeout` (default 30 s). */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /** How long a WebSocket may take to open (default 10 s). */
  readonly openTimeout?: Duration.DurationInput | undefined
  /**
   * How long the connection may stay silent before the client pings; when
   * the ping is not answered within as long again, the connection is taken for
   * dead and replaced. Default: the server's `heartbeat_ms`; `false`: never.
   */
  readonly heartbeat?: Duration.DurationInput | false | undefined
  /** Where a previous client left the stream: its events after this position are delivered first. */
  readonly resumeFrom?: StreamPosition | undefined
}

/** A connected client of one user. */
export interface Client {
  /**
   * Sends a request (checked against its payload schema first) with a fresh
   * id and waits for its ack's result. Unacknowledged, it is resent with the
   * same id after every reconnect until `requestTimeout` (the server answers a
   * resent id with the first result, so it runs once).
   */
  readonly request: <T extends RequestType>(
    type: T,
    payload: RequestPayload<T>
  ) => Effect.Effect<RequestResult<T>, RequestError>
  /**
   * A request of a type of your own (a handler you added): the same, with its
   * schemas — declare them once and give them to both `Handler.make` and here.
   * The payload is checked (the server sees the same) before it is sent.
   */
  readonly requestWith: <P, PI, S, SI>(
    type: string,
    schemas: { readonly payload: Schema.Schema<P, PI>; readonly success: Schema.Schema<S, SI> },
    payload: PI
  ) => Effect.Effect<S, RequestError>
  /**
   * The user's stream from the moment this returns (subscribed when it
   * returns, for as long as its scope): every event exactly once, in seq
   * order across reconnects, with a `stream_gap` where events were lost.
   * Fails with `ClientStopped` when the client stops for good.
   */
  readonly subscribe: Effect.Effect<Stream.Stream<ClientEvent, ClientStopped>, never, Scope.Scope>
  /** {@link subscribe} as a Stream: subscribed when it starts running. */
  readonly events: Stream.Stream<ClientEvent, ClientStopped>
  /** The connection's state, with its changes. */
  readonly state: SubscriptionRef.SubscriptionRef<ConnectionState>
  /** The last event delivered (keep it to resume a later client with `resumeFrom`). */
  readonly position: Effect.Effect<StreamPosition | undefined>
}

/** The client as a service. */
export class SwitchyardClient extends Context.Tag("switchyard/client/SwitchyardClient")<SwitchyardClient, Client>() {}

/** The default reconnect schedule: 200 ms, 400 ms, … capped at 10 s, each ±20%. */
export const defaultReconnect: Schedule.Schedule<unknown, unknown> = Schedule.exponential("200 millis").pipe(
  Schedule.union(Schedule.spaced("10 seconds")),
  Schedule.jittered
)

// a connection greeted for at least this long may come back at once when the server asks;
// one that lasted less backs off, so that a server closing at once is not hammered
const STABLE_MS = 1_000

/** A request awaiting its answer. */
interface Pending {
  readonly id: string
  readonly text: string
  readonly deferred: Deferred.Deferred<unknown, FrameError | ClientStopped>
  /** the connection it was last written to (0: none) */
  sentOn: number
}

/** How one connection ended. */
interface Outcome {
  readonly disconnect: Disconnect
  readonly greeted: boolean
  readonly greetedForMs: number
}

/**
 * A client, connected for as long as its scope: it connects at once, and
 * reconnects (resuming the stream, resending what is unacknowledged) until
 * the scope closes or the server refuses it for good (401, 403).
 * Needs a `WebSocketConstructor`: `NodeSocket.layerWebSocketConstructor`
 * (`@effect/platform-node`) or `Socket.layerWebSocketConstructorGlobal` in a browser.
 */
export const make = Effect.fnUntraced(function*(options: ClientOptions) {
  const constructor = yield* Socket.WebSocketConstructor
  const clock = yield* Effect.clock
  const requestTimeout = options.requestTimeout ?? "30 seconds"
  const openTimeout = options.openTimeout ?? "10 seconds"
  const state = yield* SubscriptionRef.make<ConnectionState>(ConnectionState.Connecting({ attempt: 1 }))
  const hub = yield* PubSub.unbounded<Take.Take<ClientEvent, ClientStopped>>()
  const outbox = yield* Queue.unbounded<Pending>()
  const cursor = new StreamCursor<Inbound.StreamEvent | Undecodable>(options.resumeFrom)
  const pending = new Map<string, Pending>()
  const nextId = idMaker()
  let stopped: ClientStopped | undefined
  let connections = 0

  const publish = (items: ReadonlyArray<ClientEvent | Undecodable>): Effect.Effect<void> =>
    items.length === 0 ? Effect.void : PubSub.publish(
      hub,
      Take.chunk(Chunk.unsafeFromArray(items.map((item) => item.type === "undecodable" ? asGap(item, cursor.position!.epoch) : item)))
    )

  const stop = (disconnect: Disconnect | undefined): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (stopped !== undefined) return Effect.void
      const error = new ClientStopped({ disconnect })
      stopped = error
      for (const entry of pending.values()) Deferred.unsafeDone(entry.deferred, Exit.fail(error))
      pending.clear()
      return SubscriptionRef.set(state, ConnectionState.Closed({ disconnect })).pipe(
        Effect.zipRight(PubSub.publish(hub, disconnect === undefined ? Take.end : Take.fail(error)))
      )
    })

  const settle = (id: string | undefined, exit: Exit.Exit<unknown, FrameError>): void => {
    if (id === undefined) return
    const entry = pending.get(id)
    if (entry === undefined) return
    pending.delete(id)
    Deferred.unsafeDone(entry.deferred, exit)
  }

  /** One connection, from its token to its close, with every frame it brought handled. */
  const connectOnce = (attempt: number): Effect.Effect<Outcome> =>
    Effect.gen(function*(): Effect.fn.Return<Outcome, never, Scope.Scope> {
      yield* SubscriptionRef.set(state, ConnectionState.Connecting({ attempt }))
      // a defect too (an `Effect.promise` whose fetch failed): the next attempt may fare better
      const token = yield* Effect.exit(options.token)
      if (Exit.isFailure(token)) return { disconnect: { reason: "TokenFailed" }, greeted: false, greetedForMs: 0 }
      const url = withToken(options.url, token.value)
      const socket = yield* Socket.makeWebSocket(url, { closeCodeIsError: () => true, openTimeout }).pipe(
        Effect.provideService(Socket.WebSocketConstructor, constructor)
      )
      const write = yield* socket.writer
      const send = (text: string) => Effect.ignore(write(text))
      const connection = ++connections
      // frames in arrival order, handled one at a time; `null` once the socket has ended
      const inbox = yield* Queue.unbounded<string | null>()
      const abort = yield* Deferred.make<Disconnect>()
      let opened = false
      let greetedAt: number | undefined
      let lastHeard = clock.unsafeCurrentTimeMillis()
      let resumeId: string | undefined

      const heartbeat = (greetedMs: number) =>
        Effect.gen(function*() {
          const interval = options.heartbeat === undefined ? greetedMs : Duration.toMillis(options.heartbeat as Duration.DurationInput)
          if (!(interval > 0)) return
          while (true) {
            yield* Effect.sleep(interval)
            const silent = clock.unsafeCurrentTimeMillis() - lastHeard
            if (silent >= 2 * interval) return yield* Deferred.succeed(abort, { reason: "HeartbeatTimeout" })
            if (silent >= interval) yield* send(PING)
          }
        })

      // requests made while this connection is open
      const writer = Effect.forever(Effect.flatMap(Queue.take(outbox), (entry) => {
        if (pending.get(entry.id) !== entry || entry.sentOn === connection) return Effect.void
        entry.sentOn = connection
        return send(entry.text)
      }))

      const handle = (text: string): Effect.Effect<void, never, Scope.Scope> =>
        Effect.gen(function*() {
          const frame = Inbound.decode(text)
          if (frame === undefined) return
          switch (frame.type) {
            case "connection_established": {
              const greeting = frame.payload
              const { items, resume } = cursor.greet(greeting)
              resumeId = nextId()
              // the resume goes first: the server holds live events until it has answered it
              yield* send(JSON.stringify({ type: "resume", id: resumeId, payload: resume }))
              for (const entry of pending.values()) {
                entry.sentOn = connection
                yield* send(entry.text)
              }
              greetedAt = clock.unsafeCurrentTimeMillis()
              yield* SubscriptionRef.set(
                state,
                ConnectionState.Open({
                  connectionId: greeting.connection_id,
                  userId: greeting.user_id,
                  epoch: greeting.epoch,
                  heartbeatMs: greeting.heartbeat_ms
                })
              )
              yield* publish(items)
              yield* Effect.forkScoped(writer)
              if (options.heartbeat !== false) yield* Effect.forkScoped(heartbeat(greeting.heartbeat_ms))
              return
            }
            case "ack": {
              if (frame.id !== undefined && frame.id === resumeId) {
                const result = Inbound.decodeResumeResult(frame.result)
                return yield* publish(cursor.resumed(result))
              }
              return settle(frame.id, Exit.succeed(frame.result))
            }
            case "error": {
              if (frame.id !== undefined && frame.id === resumeId) {
                // refused (its replay was not paid for yet, say): resume again on a later connection
                return yield* Deferred.succeed(abort, { reason: "Abnormal" })
              }
              return settle(frame.id, Exit.fail(frame.error))
            }
            case "pong":
              return settle(frame.id, Exit.succeed({}))
            case "event":
              return yield* publish(cursor.receive(frame.event))
            case "undecodable":
              return yield* publish(cursor.receive(frame))
            case "other":
              return
          }
        })

      const handleAll = Effect.gen(function*() {
        while (true) {
          const text = yield* Queue.take(inbox)
          if (text === null) return
          yield* handle(text)
        }
      })

      const processor = yield* Effect.forkScoped(handleAll)
      // a socket that opens but is never greeted is no connection
      yield* Effect.forkScoped(Effect.sleep(Duration.times(Duration.decode(openTimeout), 2)).pipe(
        Effect.zipRight(Effect.suspend(() => greetedAt === undefined ? Deferred.succeed(abort, { reason: "OpenTimeout" }) : Effect.void))
      ))
      const ended = yield* socket.runRaw(
        (data) => {
          lastHeard = clock.unsafeCurrentTimeMillis()
          if (typeof data === "string") Queue.unsafeOffer(inbox, data)
        },
        { onOpen: Effect.sync(() => (opened = true)) }
      ).pipe(
        Effect.map((): Disconnect => ({ reason: "Normal", code: 1000 })),
        Effect.catchAll((error) => toDisconnect(error, opened, url, openTimeout)),
        Effect.raceFirst(Deferred.await(abort))
      )
      // what arrived before the end is delivered before anything else happens
      Queue.unsafeOffer(inbox, null)
      yield* Fiber.join(processor)
      cursor.disconnected()
      const greeted = greetedAt !== undefined
      return {
        disconnect: ended,
        greeted,
        greetedForMs: greeted ? clock.unsafeCurrentTimeMillis() - greetedAt! : 0
      }
    }).pipe(Effect.scoped)

  const run = Effect.gen(function*() {
    const driver = yield* Schedule.driver(options.reconnect ?? defaultReconnect)
    let attempt = 1
    while (true) {
      const outcome = yield* connectOnce(attempt)
      const { disconnect } = outcome
      if (outcome.greeted) {
        yield* driver.reset
        attempt = 1
      }
      const next = reaction(disconnect.reason)
      if (next === "stop") return yield* stop(disconnect)
      attempt++
      yield* SubscriptionRef.set(state, ConnectionState.Reconnecting({ attempt, disconnect }))
      if (next === "now" && outcome.greetedForMs >= STABLE_MS) continue
      if (disconnect.retryAfterMs !== undefined) {
        yield* Effect.sleep(disconnect.retryAfterMs)
        continue
      }
      const more = yield* Effect.option(driver.next(disconnect))
      if (Option.isNone(more)) return yield* stop(disconnect)
    }
  })

  const requestWith = <P, PI, S, SI>(
    type: string,
    spec: { readonly payload: Schema.Schema<P, PI>; readonly success: Schema.Schema<S, SI> },
    payload: PI
  ): Effect.Effect<S, RequestError> =>
    Effect.suspend(() => stopped === undefined ? Effect.void : Effect.fail(stopped)).pipe(
      Effect.zipRight(Effect.mapError(Schema.decodeUnknown(spec.payload)(payload), (error) => toFrameError(error, ["payload"]))),
      Effect.flatMap(() =>
        Effect.gen(function*() {
          const id = nextId()
          const entry: Pending = {
            id,
            text: JSON.stringify({ type, id, payload }),
            deferred: yield* Deferred.make<unknown, FrameError | ClientStopped>(),
            sentOn: 0
          }
          pending.set(id, entry)
          Queue.unsafeOffer(outbox, entry)
          const result = yield* Deferred.await(entry.deferred).pipe(
            Effect.timeoutFail({ duration: requestTimeout, onTimeout: () => new RequestTimeout({ type, id }) }),
            Effect.ensuring(Effect.sync(() => pending.get(id) === entry && pending.delete(id)))
          )
          return yield* decodeResult(spec.success, result)
        })
      )
    )

  const request = <T extends RequestType>(type: T, payload: RequestPayload<T>): Effect.Effect<RequestResult<T>, RequestError> =>
    requestWith(type, Requests[type] as RequestSpec, payload) as Effect.Effect<RequestResult<T>, RequestError>

  const subscribe = Effect.gen(function*() {
    const dequeue = yield* PubSub.subscribe(hub)
    // checked after subscribing: a stop that comes later is in the queue
    const events = Stream.flattenTake(Stream.fromQueue(dequeue))
    return stopped === undefined ? events : Stream.fail(stopped)
  })

  // last to run: the connection is gone by then
  yield* Effect.addFinalizer(() => stop(undefined))
  yield* Effect.forkScoped(run)

  return SwitchyardClient.of({
    request,
    requestWith,
    subscribe,
    events: Stream.unwrapScoped(subscribe),
    state,
    position: Effect.sync(() => cursor.position)
  })
})

/** The client as a Layer (needs a `WebSocketConstructor`). */
export const layer = (options: ClientOptions): Layer.Layer<SwitchyardClient, never, Socket.WebSocketConstructor> =>
  Layer.scoped(SwitchyardClient, make(options))

const PING = JSON.stringify({ type: "ping" })

/** The URL with the token as its `access_token` query parameter. */
const withToken = (url: string, token: string): string =>
  `${url}${url.includes("?") ? "&" : "?"}access_token=${encodeURIComponent(token)}`

/** What a socket's failure says about why the connection ended (never its cause: it may hold the URL, and so the token). */
const toDisconnect = (
  error: Socket.SocketError,
  opened: boolean,
  url: string,
  openTimeout: Duration.DurationInput
): Effect.Effect<Disconnect> => {
  if (error.reason === "Close") return Effect.succeed({ reason: fromCloseCode(error.code), code: error.code })
  if (error.reason === "OpenTimeout") return Effect.succeed({ reason: "OpenTimeout" })
  if (error.reason === "Open" || !opened) return UpgradeProbe.probe(url, openTimeout)
  return Effect.succeed({ reason: "Abnormal" })
}

/** A stream event the client could not decode (off the contract): it holds its seq's place, and is delivered as a gap. */
interface Undecodable {
  readonly type: "undecodable"
  readonly seq: number
}

const asGap = (item: Undecodable, epoch: string): StreamGap => ({
  type: "stream_gap",
  reason: "Undecodable",
  previousEpoch: epoch,
  lastSeq: item.seq - 1,
  epoch
})

/** An ack's result as its type's schema says (a server off the contract is an `INTERNAL` error, not a defect). */
const decodeResult = <S, SI>(success: Schema.Schema<S, SI>, result: unknown): Effect.Effect<S, FrameError> =>
  Effect.mapError(
    Schema.decodeUnknown(success)(result),
    () => new FrameError({ code: "INTERNAL", message: "the result does not match the contract" })
  )

/** Message ids: a random prefix per client (ids must not repeat within the server's dedupe window), then a counter. */
const idMaker = (): () => string => {
  const bytes = new Uint8Array(6)
  globalThis.crypto.getRandomValues(bytes)
  const prefix = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")
  let counter = 0
  return () => `${prefix}-${++counter}`
}
