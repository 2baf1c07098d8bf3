import * as Socket from "@effect/platform/Socket"
import {
  Chunk,
  Context,
  Deferred,
  Effect,
  Layer,
  Option,
  PubSub,
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
import { limitsOf } from "./ClientLimits.js"
import type { ClientOptions } from "./ClientOptions.js"
import { connect, type Undecodable } from "./Connection.js"
import { ConnectionState } from "./ConnectionState.js"
import { type Disconnect, reaction } from "./Disconnect.js"
import type { StreamEvent } from "./Inbound.js"
import { type Pending, PendingRequests } from "./Pending.js"
import { retryAfterDelay } from "./RetryAfter.js"
import { type RequestPayload, type RequestResult, Requests, type RequestSpec, type RequestType } from "./Requests.js"
import { type StreamGap, StreamCursor, type StreamPosition } from "./StreamCursor.js"

/** What the client's stream carries: the user's stream events, and a gap where some were lost. */
export type ClientEvent = StreamEvent | StreamGap

/** Why a request failed: the server's error (with its protocol code), no answer in time, or a stopped client. */
export type RequestError = FrameError | RequestTimeout | ClientStopped

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

/**
 * A client, connected for as long as its scope: it connects at once, and
 * reconnects (resuming the stream, resending what is unacknowledged) until
 * the scope closes or the server refuses it for good (401, 403).
 * Needs a `WebSocketConstructor`: `NodeSocket.layerWebSocketConstructor`
 * (`@effect/platform-node`) or `Socket.layerWebSocketConstructorGlobal` in a browser.
 */
export const make = Effect.fnUntraced(function*(options: ClientOptions) {
  const requestTimeout = options.requestTimeout ?? "30 seconds"
  const limits = limitsOf(options.limits)
  const state = yield* SubscriptionRef.make<ConnectionState>(ConnectionState.Connecting({ attempt: 1 }))
  const hub = yield* PubSub.unbounded<Take.Take<ClientEvent, ClientStopped>>()
  const pending = yield* PendingRequests.make
  const cursor = new StreamCursor<StreamEvent | Undecodable>(options.resumeFrom, {
    maxHeldEvents: limits.maxBufferedFrames,
    maxHeldBytes: limits.maxBufferedBytes
  })
  const nextId = idMaker()
  let stopped: ClientStopped | undefined

  const publish = (items: ReadonlyArray<ClientEvent | Undecodable>): Effect.Effect<void> =>
    items.length === 0 ? Effect.void : PubSub.publish(
      hub,
      Take.chunk(Chunk.unsafeFromArray(items.map((item) => item.type === "undecodable" ? asGap(item) : item)))
    )

  const stop = (disconnect: Disconnect | undefined): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (stopped !== undefined) return Effect.void
      const error = new ClientStopped({ disconnect })
      stopped = error
      pending.failAll(error)
      return SubscriptionRef.set(state, ConnectionState.Closed({ disconnect })).pipe(
        Effect.zipRight(PubSub.publish(hub, disconnect === undefined ? Take.end : Take.fail(error)))
      )
    })

  const context = {
    options,
    limits,
    unread: PubSub.size(hub),
    webSocket: yield* Socket.WebSocketConstructor,
    clock: yield* Effect.clock,
    state,
    cursor,
    pending,
    publish,
    nextId
  }

  const run = Effect.gen(function*() {
    const driver = yield* Schedule.driver(options.reconnect ?? defaultReconnect)
    let attempt = 1
    for (let connection = 1;; connection++) {
      const outcome = yield* connect(context, connection, attempt)
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
      const steppedAt = context.clock.unsafeCurrentTimeMillis()
      const more = yield* Effect.option(driver.next(disconnect))
      if (Option.isNone(more)) return yield* stop(disconnect)
      // the server's Retry-After, bounded: never sooner than the schedule (it just waited), never past 5 min
      if (disconnect.retryAfterMs !== undefined) {
        const waited = context.clock.unsafeCurrentTimeMillis() - steppedAt
        yield* Effect.sleep(Math.max(0, retryAfterDelay(disconnect.retryAfterMs, Math.random()) - waited))
      }
    }
  })

  const requestWith = <P, PI, S, SI>(
    type: string,
    spec: { readonly payload: Schema.Schema<P, PI>; readonly success: Schema.Schema<S, SI> },
    payload: PI
  ): Effect.Effect<S, RequestError> =>
    Effect.suspend(() => stopped === undefined ? Effect.void : Effect.fail(stopped)).pipe(
      // what the server would refuse fails here, before anything is sent
      Effect.zipRight(Effect.mapError(Schema.decodeUnknown(spec.payload)(payload), (error) => toFrameError(error, ["payload"]))),
      Effect.zipRight(Deferred.make<unknown, FrameError | ClientStopped>()),
      Effect.flatMap((deferred) => {
        const id = nextId()
        const entry: Pending = { id, text: JSON.stringify({ type, id, payload }), deferred, sentOn: 0 }
        pending.add(entry)
        return Deferred.await(deferred).pipe(
          Effect.timeoutFail({ duration: requestTimeout, onTimeout: () => new RequestTimeout({ type, id }) }),
          Effect.ensuring(Effect.sync(() => pending.remove(entry))),
          Effect.flatMap((result) => decodeResult(spec.success, result))
        )
      })
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

/** An event that did not decode, delivered as what it is to the user: a loss. */
const asGap = (item: Undecodable): StreamGap => ({
  type: "stream_gap",
  reason: "Undecodable",
  previousEpoch: item.epoch,
  lastSeq: item.seq - 1,
  epoch: item.epoch
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
