import {
  Cause,
  Clock,
  Context,
  Effect,
  FiberId,
  FiberRef,
  FiberRefs,
  HashMap,
  Runtime
} from "effect"
import { randomUUID } from "node:crypto"
import type { RawData, WebSocket } from "ws"
import { ServerSettings } from "./ServerSettings.js"
import { TransportSettings } from "./TransportSettings.js"
import * as Metrics from "../observability/Metrics.js"
import { CloseCode } from "../protocol/ErrorCode.js"
import type { ConnectionEstablished } from "../protocol/Notices.js"
import * as ServerFrame from "../protocol/ServerFrame.js"
import { Dispatcher } from "../pipeline/Dispatcher.js"
import { Dispatch } from "../handlers/Dispatch.js"
import { CurrentClient, currentFrameSlot, FrameSlot } from "../handlers/FrameContext.js"
import { Router } from "../pipeline/Router.js"
import { Connection, type OutboundLimits } from "./Connection.js"
import { Connections } from "./Connections.js"
import { Inbox, type InboxReader, type RawFrame } from "./Inbox.js"
import { chargeOnArrival, dropUnread, type FrameLimit, type FramePath, processFrame, rejectOnArrival } from "../pipeline/ProcessFrame.js"
import { type Expiring, TokenExpiry } from "./TokenExpiry.js"
import { Lifecycle } from "../state/Lifecycle.js"
import { type UserSession, UserSessions } from "../state/UserSessions.js"
import { UserRateLimit } from "../resilience/UserRateLimit.js"

/**
 * The service's own version, reported in `connection_established`: which
 * build a client talks to. It is package.json's (a test holds them equal);
 * written here because `npm start` runs a compiled copy of src/ in dist/,
 * where package.json is not where an import would look. The wire
 * contract's version is `AsyncApi.PROTOCOL_VERSION`.
 */
export const SERVER_VERSION = "0.1.0"

/**
 * Serves authenticated WebSockets. `DirectUpgrade` (the service's own server:
 * `serveNow`, from the upgrade's callback) or the `/ws` route (`serve`) hands
 * each accepted socket over; in memory mode it is set up at once, in cluster
 * mode once the user's session is made (a wait on Redis). An idle connection holds no fiber, only its `Connection`
 * and the user's session it holds (so the session's grace period starts
 * when the last one closes), reached from its socket's events; it lets go
 * when the socket closes, or when the service stops.
 * `ConnectionServer.Default`: the server, running frames in the services of the layer that built it.
 */
export class ConnectionServer extends Effect.Service<ConnectionServer>()("switchyard/ConnectionServer", {
  scoped: Effect.gen(function*() {
      const config = yield* TransportSettings
      const { nodeId } = yield* ServerSettings
      const sessions = yield* UserSessions
      const connections = yield* Connections
      const dispatcher = yield* Dispatcher
      const router = yield* Router
      const expiry = yield* TokenExpiry
      const lifecycle = yield* Lifecycle
      // the service's runtime, not a request's: nothing of the upgrade request stays reachable
      const runtime = yield* Effect.runtime<never>()
      const host: Host = {
        open: new Set(),
        connections,
        sessions,
        dispatcher,
        router,
        path: { dispatcher, maxJsonDepth: config.maxJsonDepth, rateLimit: yield* UserRateLimit },
        expiry,
        runtime,
        clock: yield* Effect.clock,
        maxInboxFrames: config.maxInboxFrames,
        maxInboxChars: config.maxInboxChars,
        run: Runtime.runFork(runtime)
      }
      const limits: OutboundLimits = {
        maxBufferedBytes: config.maxBufferedBytes,
        maxBufferedFrames: config.maxBufferedFrames
      }
      // sockets whose session is still being made (a shared store's round trip): not yet in `Connections`
      const pending = new Set<WebSocket>()
      // stopping the service finalizes every connection still open (1001, its session released); a socket
      // still waiting for its session is closed as the drain closed the others (1012), or 1001 without one
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          Array.from(host.open).forEach((served) => served.close())
          const [code, reason] = lifecycle.draining ? [CloseCode.serviceRestart, "service restart"] : [CloseCode.goingAway, "going away"]
          for (const ws of pending) closeSocket(ws, code, reason)
          pending.clear()
        }))
      // the greeting goes first; only then does the connection join the stream
      const setUp = (ws: WebSocket, userId: string, expiresAt: number, session: UserSession): void => {
        // its session came after the drain began (a shared store's round trip): the drain's 1012 would miss it
        if (lifecycle.draining) {
          sessions.release(session)
          return closeSocket(ws, CloseCode.serviceRestart, "service restart")
        }
        let connection: Connection | undefined = undefined
        let served: ServedConnection | undefined = undefined
        try {
          connection = new Connection(
            `c-${randomUUID()}`,
            userId,
            ws,
            limits,
            session.stream.lastSeq,
            config.resumeWindowMs,
            countSlowConsumer
          )
          const greeting: ConnectionEstablished = {
            connection_id: connection.id,
            user_id: userId,
            last_seq: session.stream.lastSeq,
            epoch: session.stream.epoch,
            heartbeat_ms: config.heartbeatMs,
            server: { version: SERVER_VERSION, node_id: nodeId }
          }
          connection.send(ServerFrame.notice("connection_established", greeting))
          connection.holdForResume()
          session.stream.connections.add(connection)
          connections.addNow(connection)
          served = new ServedConnection(host, connection, session)
          served.listen(ws, expiresAt)
        } catch (error) {
          // a bug: what was added is taken back and the session let go, so that neither outlives the socket
          if (served !== undefined && host.open.has(served)) served.close()
          else {
            if (connection !== undefined) {
              session.stream.connections.delete(connection)
              connections.removeNow(connection)
            }
            sessions.release(session)
          }
          ws.terminate()
          host.run(Effect.logError("connection set-up failed", error))
        }
      }
      // acquiring a session may wait (a shared store's round trip): nothing is read until the connection
      // listens, so frames a client sends at once wait in its socket, not lost
      const setUpLater = (ws: WebSocket, userId: string, expiresAt: number): Effect.Effect<void> => {
        ws.pause()
        pending.add(ws)
        return Effect.matchCauseEffect(sessions.hold(userId), {
          onSuccess: (session) =>
            Effect.sync(() => {
              // the service stopped meanwhile: the socket was closed
              if (!pending.delete(ws)) return sessions.release(session)
              setUp(ws, userId, expiresAt, session)
              if (ws.readyState === ws.OPEN) ws.resume()
            }),
          // not left paused and waiting: the client retries later (a fresh session is made then)
          onFailure: (cause) => {
            pending.delete(ws)
            if (Cause.isInterruptedOnly(cause)) {
              closeSocket(ws, CloseCode.goingAway, "going away")
              return Effect.void
            }
            // 1013, which PROTOCOL §9 has clients retry with backoff (RFC 6455: "try again later")
            closeSocket(ws, CloseCode.tryAgainLater, "try again later")
            return Effect.logWarning("user session could not be set up", cause).pipe(Effect.annotateLogs({ user_id: userId }))
          }
        })
      }
      /**
       * Sets the socket up now if the user's session is had at once (a live one, or a stream in memory), else
       * gives the wait for it. A throw (a bug) ends only this connection, on either way in.
       */
      const start = (ws: WebSocket, userId: string, expiresAt: number): Effect.Effect<void> | undefined => {
        let session: UserSession | undefined
        try {
          session = sessions.holdNow(userId)
        } catch (error) {
          ws.terminate()
          host.run(Effect.logError("connection set-up failed", error))
          return undefined
        }
        if (session === undefined) return setUpLater(ws, userId, expiresAt)
        setUp(ws, userId, expiresAt, session)
        return undefined
      }
      return {
      /**
       * Greets the socket, joins it to its user's stream and wires its frames,
       * in order, through the dispatcher; returns once that is set up. At
       * `expiresAt` (the token's `exp`, seconds since the epoch) it is closed with 4001.
       */
      serve: (ws: WebSocket, userId: string, expiresAt: number): Effect.Effect<void> =>
        // quick, and not to be cut in half: an interrupted set-up would keep the session held
        Effect.uninterruptible(Effect.suspend(() => start(ws, userId, expiresAt) ?? Effect.void)),
      /**
       * `serve` without a fiber where the user's session is had at once (a
       * live one, or a stream in memory): the set-up is then done when it returns.
       */
      serveNow: (ws: WebSocket, userId: string, expiresAt: number): void => {
        const later = start(ws, userId, expiresAt)
        if (later !== undefined) host.run(Effect.uninterruptible(later))
      }
      }
    })
}) {}

/** What every served connection shares: made once, with the service. */
interface Host {
  /** the connections being served, for the service's finalizer */
  readonly open: Set<ServedConnection>
  readonly connections: Connections
  readonly sessions: UserSessions["Type"]
  readonly dispatcher: Dispatcher["Type"]
  readonly router: Router["Type"]
  /** what every frame goes through: decode limits, rate limit, dispatch */
  readonly path: FramePath
  /** closes connections whose token expired */
  readonly expiry: TokenExpiry
  readonly runtime: Runtime.Runtime<never>
  /** the service's clock (a TestClock in tests), read synchronously where a frame is handled */
  readonly clock: Clock.Clock
  readonly maxInboxFrames: number
  readonly maxInboxChars: number
  /** runs an effect in the service's runtime (a socket's close) */
  readonly run: (effect: Effect.Effect<void>) => unknown
}

/**
 * A client over its limits is not read for at least this long: a pipelining
 * client's next socket read then waits, instead of thousands of tiny frames
 * being refused one by one.
 */
const MIN_PAUSE_MS = 100

/** Frames answered `RATE_LIMITED` (with their ids) per pause; beyond, they are dropped unread, with one notice. */
const REFUSALS_PER_PAUSE = 256

/**
 * One served socket: what its events need, and nothing else until its first
 * frame (most connections sit idle).
 */
class ServedConnection implements InboxReader, Expiring {
  expiryBucket: number | undefined = undefined
  private readonly inbox: Inbox
  private runFork: ((effect: Effect.Effect<void>) => unknown) | undefined = undefined
  private frameContext: Context.Context<never> | undefined = undefined
  private drain: Effect.Effect<void> | undefined = undefined
  /** when the client was last told that frames it sent were not read (at most once a second) */
  private unreadNoticeAt = -Infinity
  /** frames answered `RATE_LIMITED` since the connection was last read */
  private refusedInPause = 0
  /** what a refused frame is told to wait, and which limit refused it */
  private retryAfterMs = MIN_PAUSE_MS
  private limit: FrameLimit = "messages"

  constructor(
    private readonly host: Host,
    private readonly connection: Connection,
    /** held until the connection closes: the last connection of the user starts its grace period */
    private readonly session: UserSession
  ) {
    this.inbox = new Inbox(this, host.maxInboxFrames, host.maxInboxChars)
  }

  /** Wires the socket's events; a socket that closed meanwhile is finalized at once. */
  listen(ws: WebSocket, expiresAt: number): void {
    this.host.open.add(this)
    if (ws.readyState === ws.CLOSED) return this.close()
    this.host.expiry.watch(this, expiresAt)
    served.set(ws, this)
    ws.on("message", onMessage)
    ws.on("pong", onPong)
    ws.on("error", onError)
    ws.on("close", onClose)
  }

  /**
   * Finalizes the connection, once: it leaves the stream and the registries
   * (closing with 1001 if still open), then lets go of the user's session.
   */
  close(): void {
    if (!this.host.open.delete(this)) return
    this.host.expiry.unwatch(this)
    this.session.stream.connections.delete(this.connection)
    this.connection.close(1001, "going away")
    this.host.connections.removeNow(this.connection)
    this.host.sessions.release(this.session)
  }

  receive(frame: RawFrame): void {
    const connection = this.connection
    // ws hands over every frame of one socket read at once, also after reading was paused
    if (connection.readingHeld) return this.overflow(frame)
    const retryAfterMs = chargeOnArrival(connection, this.host.path, frame)
    if (retryAfterMs > 0) {
      // what the client sends next stays in its socket, unread and unparsed, until it may be served
      this.retryAfterMs = retryAfterMs
      this.limit = "messages"
      connection.pauseReading(Math.max(retryAfterMs, MIN_PAUSE_MS))
      return this.overflow(frame)
    }
    this.refusedInPause = 0
    this.inbox.push(frame)
  }

  pong(): void {
    this.connection.onPong()
  }

  /** Protocol violations (oversized frame: 1009, invalid UTF-8: 1007) arrive here after ws closed with the right code. */
  failed(error: Error): void {
    this.fork(Effect.logDebug("socket error", error.message))
  }

  /** PROTOCOL §2: a connection does not outlive its token; the socket's close event then finalizes it. */
  tokenExpired(): void {
    this.connection.close(CloseCode.tokenExpired, "token expired")
  }

  closed(): void {
    this.close()
  }

  startDrain(): void {
    this.fork(this.drain ??= this.makeDrain())
  }

  /**
   * Takes frames until the inbox is empty, one at a time. One live frame slot
   * per burst, moved from frame to frame; what a handler forks pins its frame.
   */
  private makeDrain(): Effect.Effect<void> {
    const inbox = this.inbox
    const { path } = this.host
    const connection = this.connection
    const slot = FrameSlot.live()
    const loop: Effect.Effect<void> = Effect.suspend(() => {
      const frame = inbox.take()
      return frame === undefined
        ? Effect.void
        : Effect.zipRight(processFrame(connection, path, slot, frame), loop)
    })
    return Effect.locally(loop, currentFrameSlot, slot)
  }

  /** A frame that is not read (over the rate, or the inbox full): answered unparsed while the pause's share lasts, then dropped. */
  overflow(frame: RawFrame): void {
    if (this.refusedInPause < REFUSALS_PER_PAUSE) {
      this.refusedInPause++
      return rejectOnArrival(this.connection, frame, this.retryAfterMs, this.limit)
    }
    const now = this.host.clock.unsafeCurrentTimeMillis()
    const notify = now - this.unreadNoticeAt >= 1000
    if (notify) this.unreadNoticeAt = now
    dropUnread(this.connection, notify, this.retryAfterMs, this.limit)
  }

  holdReading(): void {
    this.retryAfterMs = MIN_PAUSE_MS
    this.limit = "inbox"
    this.connection.holdReading()
  }

  releaseReading(): void {
    this.connection.releaseReading()
  }

  private fork(effect: Effect.Effect<void>): void {
    this.runFork ??= Runtime.runFork(this.frameRuntime())
    this.runFork(effect)
  }

  // Built on the first frame: the merged context is the largest thing a connection would otherwise hold.
  private context(): Context.Context<never> {
    // the router's context holds every service its handlers declared; the user's
    // services are made once per user and shared by the user's connections
    return this.frameContext ??= Context.merge(this.host.router.context, this.session.services()).pipe(
      Context.add(CurrentClient, { connectionId: this.connection.id }),
      Context.add(Dispatch, this.host.dispatcher.dispatch)
    )
  }

  private frameRuntime(): Runtime.Runtime<never> {
    const { runtime } = this.host
    const connection = this.connection
    // every log line of this connection (and of the runs it starts) names it
    const annotations = FiberRefs.getOrDefault(runtime.fiberRefs, FiberRef.currentLogAnnotations).pipe(
      HashMap.set<string, unknown>("user_id", connection.userId),
      HashMap.set<string, unknown>("connection_id", connection.id)
    )
    return Runtime.make({
      context: this.context(),
      fiberRefs: FiberRefs.updateAs(runtime.fiberRefs, {
        fiberId: FiberId.none,
        fiberRef: FiberRef.currentLogAnnotations,
        value: annotations
      }),
      runtimeFlags: runtime.runtimeFlags
    })
  }
}

// One listener of each kind for every socket (`this` is the socket), so a connection
// holds no closures of its own: a WeakMap entry costs less than four of them.
const served = new WeakMap<WebSocket, ServedConnection>()

function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  served.get(this)?.receive(isBinary ? null : rawText(data))
}

function onPong(this: WebSocket): void {
  served.get(this)?.pong()
}

// without an error listener, ws's protocol-violation errors would crash the process
function onError(this: WebSocket, error: Error): void {
  served.get(this)?.failed(error)
}

function onClose(this: WebSocket): void {
  served.get(this)?.closed()
}

/** Closes a socket that was never served (and may be paused): resumed, so that the closing handshake completes. */
const closeSocket = (ws: WebSocket, code: number, reason: string): void => {
  if (ws.readyState === ws.CONNECTING || ws.readyState === ws.OPEN) ws.close(code, reason)
  ws.resume()
}

const countSlowConsumer = (): void => Metrics.bump(Metrics.slowConsumerCloses)

const rawText = (data: RawData): string =>
  Buffer.isBuffer(data) ? data.toString("utf8") : Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data).toString("utf8")
