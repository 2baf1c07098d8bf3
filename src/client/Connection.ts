import * as Socket from "@effect/platform/Socket"
import { type Clock, type Context, Deferred, Duration, Effect, Exit, Fiber, Queue, type Scope, SubscriptionRef } from "effect"
import type { FrameError } from "../protocol/FrameError.js"
import type { ClientLimits } from "./ClientLimits.js"
import type { ClientOptions } from "./ClientOptions.js"
import { ConnectionState } from "./ConnectionState.js"
import { type Disconnect, fromCloseCode } from "./Disconnect.js"
import * as Inbound from "./Inbound.js"
import type { PendingRequests } from "./Pending.js"
import type { StreamCursor, StreamGap } from "./StreamCursor.js"
import * as UpgradeProbe from "./UpgradeProbe.js"

/**
 * One connection of a client, from its token to its close: open the socket,
 * resume the stream, write what awaits an answer, hand every frame to where
 * it goes, in arrival order — and say how it ended.
 */

/** An undecodable stream event, in the epoch it came in (for the gap it is delivered as). */
export interface Undecodable extends Inbound.Undecodable {
  readonly epoch: string
}

/** What a connection works with: the client's state, which outlives it. */
export interface ConnectionContext {
  readonly options: ClientOptions
  readonly limits: ClientLimits
  readonly webSocket: Context.Tag.Service<typeof Socket.WebSocketConstructor>
  readonly clock: Clock.Clock
  readonly state: SubscriptionRef.SubscriptionRef<ConnectionState>
  readonly cursor: StreamCursor<Inbound.StreamEvent | Undecodable>
  readonly pending: PendingRequests
  /** delivers what the cursor let through, in order */
  readonly publish: (items: ReadonlyArray<Inbound.StreamEvent | Undecodable | StreamGap>) => Effect.Effect<void>
  /** how many published batches the slowest subscriber has not read yet */
  readonly unread: Effect.Effect<number>
  readonly nextId: () => string
}

/** How a connection ended. */
export interface Outcome {
  readonly disconnect: Disconnect
  /** it got as far as `connection_established`, for this long */
  readonly greeted: boolean
  readonly greetedForMs: number
}

const PING = JSON.stringify({ type: "ping" })

// a server's heartbeat_ms, kept within reason: 0.5 would make the client flap, 1e12 would never notice a dead link
const MIN_HEARTBEAT_MS = 1_000
const MAX_HEARTBEAT_MS = 600_000

/** Connection number `connection` (attempt `attempt` since the last greeted one), until it ends. */
export const connect = (context: ConnectionContext, connection: number, attempt: number): Effect.Effect<Outcome> =>
  Effect.gen(function*(): Effect.fn.Return<Outcome, never, Scope.Scope> {
    const { clock, cursor, limits, options, pending, publish, state } = context
    const openTimeout = options.openTimeout ?? "10 seconds"
    yield* SubscriptionRef.set(state, ConnectionState.Connecting({ attempt }))
    // a defect too (an `Effect.promise` whose fetch failed): the next attempt may fare better
    const token = yield* Effect.exit(options.token)
    if (Exit.isFailure(token)) return { disconnect: { reason: "TokenFailed" }, greeted: false, greetedForMs: 0 }
    const url = withToken(options.url, token.value)
    const socket = yield* Socket.makeWebSocket(url, { closeCodeIsError: () => true, openTimeout }).pipe(
      Effect.provideService(Socket.WebSocketConstructor, context.webSocket)
    )
    const write = yield* socket.writer
    // once the socket has ended a write would wait for it to open again, forever: it is dropped
    const ended = yield* Deferred.make<void>()
    const send = (text: string) => Effect.raceFirst(Effect.ignore(write(text)), Deferred.await(ended))
    // frames in arrival order, handled one at a time; `null` once the socket has ended.
    // A browser's WebSocket cannot be paused, so the inbox is bounded by ending the connection instead
    const inbox = yield* Queue.unbounded<string | null>()
    let inboxFrames = 0
    let inboxBytes = 0
    const abort = yield* Deferred.make<Disconnect>()
    // the connection ends for something this client saw: nothing more of it is handled
    let ending = false
    const endNow = (reason: Disconnect["reason"]): void => {
      ending = true
      Deferred.unsafeDone(abort, Exit.succeed({ reason }))
    }
    const end = (reason: Disconnect["reason"]) => Effect.sync(() => endNow(reason))
    let opened = false
    let greetedAt: number | undefined
    let lastHeard = clock.unsafeCurrentTimeMillis()
    let resumeId: string | undefined
    let streamEpoch: string | undefined
    let resumeAcked = false

    const heartbeat = (interval: number) =>
      Effect.gen(function*() {
        if (!(interval > 0)) return
        while (true) {
          yield* Effect.sleep(interval)
          const silent = clock.unsafeCurrentTimeMillis() - lastHeard
          if (silent >= 2 * interval) return yield* Deferred.succeed(abort, { reason: "HeartbeatTimeout" })
          if (silent >= interval) yield* send(PING)
        }
      })

    // requests made while this connection is open
    const writer = Effect.forever(Effect.flatMap(pending.next(connection), (entry) => send(entry.text)))

    // a stream event goes to subscribers only while they keep up: past the bound the connection
    // ends as SlowConsumer, before the cursor moves, so that the next resume fetches it again
    const receive = (event: Inbound.StreamEvent | Undecodable, bytes: number) =>
      Effect.flatMap(context.unread, (unread) => {
        if (unread >= limits.maxBufferedFrames) return end("SlowConsumer")
        const items = cursor.receive(event, bytes)
        // held past a hole beyond the bound (a server that never acks the resume): start again from the last seq
        return items === "overflow" ? end("Abnormal") : publish(items)
      })

    const handle = (text: string): Effect.Effect<void, never, Scope.Scope> =>
      Effect.gen(function*() {
        if (ending) return
        const frame = Inbound.decode(text)
        if (frame === undefined) return
        switch (frame.type) {
          case "connection_established": {
            // one greeting per connection: another is off the protocol (and would fork another writer)
            if (greetedAt !== undefined) return yield* end("Abnormal")
            const greeting = frame.payload
            const { items, resume } = cursor.greet(greeting)
            streamEpoch = greeting.epoch
            resumeId = context.nextId()
            // the resume goes first: the server holds live events until it has answered it
            yield* send(JSON.stringify({ type: "resume", id: resumeId, payload: resume }))
            for (const entry of pending.unsentOn(connection)) yield* send(entry.text)
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
            if (options.heartbeat !== false) {
              const interval = options.heartbeat === undefined
                ? Math.min(Math.max(greeting.heartbeat_ms, MIN_HEARTBEAT_MS), MAX_HEARTBEAT_MS)
                : Duration.toMillis(options.heartbeat)
              yield* Effect.forkScoped(heartbeat(interval))
            }
            // the resume is answered within a request's deadline, or the connection is given up
            yield* Effect.forkScoped(Effect.sleep(options.requestTimeout ?? "30 seconds").pipe(
              Effect.zipRight(Effect.suspend(() => resumeAcked ? Effect.void : end("Abnormal")))
            ))
            return
          }
          case "ack":
            if (frame.id === resumeId) {
              resumeAcked = true
              return yield* publish(cursor.resumed(Inbound.decodeResumeResult(frame.result)))
            }
            return pending.settle(frame.id, Exit.succeed(frame.result))
          case "error":
            // a refused resume (its replay not paid for yet, say): resume again on a later connection,
            // no sooner than a RATE_LIMITED refusal's `retry_after_ms`
            if (frame.id !== undefined && frame.id === resumeId) {
              return yield* Deferred.succeed(abort, { reason: "Abnormal", retryAfterMs: retryAfterOf(frame.error) })
            }
            return pending.settle(frame.id, Exit.fail(frame.error))
          case "pong":
            return pending.settle(frame.id, Exit.succeed({}))
          case "event":
            return yield* receive(frame.event, text.length)
          case "undecodable":
            // before the greeting no stream event is due (the server is off the contract): dropped
            if (streamEpoch === undefined) return
            return yield* receive({ ...frame, epoch: streamEpoch }, text.length)
          case "violation":
            return yield* end("Abnormal")
          case "other":
            return
        }
      })

    const processor = yield* Effect.forkScoped(Effect.gen(function*() {
      while (true) {
        const text = yield* Queue.take(inbox)
        if (text === null) return
        inboxFrames--
        inboxBytes -= text.length
        yield* handle(text)
      }
    }))
    // a socket that opens but is never greeted is no connection
    yield* Effect.forkScoped(Effect.sleep(Duration.times(Duration.decode(openTimeout), 2)).pipe(
      Effect.zipRight(Effect.suspend(() => greetedAt === undefined ? Deferred.succeed(abort, { reason: "OpenTimeout" }) : Effect.void))
    ))
    const disconnect = yield* socket.runRaw(
      (data) => {
        lastHeard = clock.unsafeCurrentTimeMillis()
        if (typeof data !== "string" || ending) return
        if (inboxFrames >= limits.maxBufferedFrames || inboxBytes + data.length > limits.maxBufferedBytes) {
          // this client handles frames slower than they come: the stream's history keeps them for the next connection
          return endNow("SlowConsumer")
        }
        inboxFrames++
        inboxBytes += data.length
        Queue.unsafeOffer(inbox, data)
      },
      { onOpen: Effect.sync(() => (opened = true)) }
    ).pipe(
      Effect.map((): Disconnect => ({ reason: "Normal", code: 1000 })),
      Effect.catchAll((error) => toDisconnect(error, opened, url, openTimeout)),
      Effect.raceFirst(Deferred.await(abort)),
      Effect.ensuring(Deferred.succeed(ended, undefined))
    )
    // what arrived before the end is delivered before anything else happens
    Queue.unsafeOffer(inbox, null)
    yield* Fiber.join(processor)
    cursor.disconnected()
    return {
      disconnect,
      greeted: greetedAt !== undefined,
      greetedForMs: greetedAt === undefined ? 0 : clock.unsafeCurrentTimeMillis() - greetedAt
    }
  }).pipe(Effect.scoped)

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

/** A `RATE_LIMITED` error's `details.retry_after_ms` (docs/protocol.md section 10), if it has one. */
const retryAfterOf = (error: FrameError): number | undefined => {
  if (error.code !== "RATE_LIMITED" || typeof error.details !== "object" || error.details === null) return undefined
  const ms = (error.details as { readonly retry_after_ms?: unknown }).retry_after_ms
  return typeof ms === "number" && Number.isFinite(ms) && ms >= 0 ? ms : undefined
}
