import { Context, Effect, Either, FiberRef, Runtime } from "effect"
import { randomUUID } from "node:crypto"
import type { RawData, WebSocket } from "ws"
import { SwitchyardConfig } from "../Config.js"
import * as Metrics from "../observability/Metrics.js"
import { decodeText } from "../protocol/ClientFrame.js"
import { FrameError } from "../protocol/FrameError.js"
import * as ServerFrame from "../protocol/ServerFrame.js"
import { Dispatcher, type Outcome } from "../router/Dispatcher.js"
import { CurrentConnection, CurrentFrame, FrameTicket } from "../router/FrameContext.js"
import { Router } from "../router/Router.js"
import { isMigration } from "../migration/Migration.js"
import { Connection } from "./Connection.js"
import { Connections } from "./Connections.js"
import { Emitter } from "./Emitter.js"
import { Inbox, type RawFrame } from "./Inbox.js"
import { UserContext, UserSessions, type UserSession } from "./UserContext.js"

/** The version reported in `connection_established`. */
export const SERVER_VERSION = "0.1.0"

/**
 * Serves one authenticated WebSocket until it closes: greets it, joins it to
 * its user's stream, and runs its frames in order through the dispatcher,
 * answering each as PROTOCOL §5 says. The connection's Scope holds the user's
 * session, so the session's grace period starts when the last one closes.
 */
export const serveConnection = (ws: WebSocket, userId: string) =>
  Effect.gen(function*() {
    const config = yield* SwitchyardConfig
    const sessions = yield* UserSessions
    const connections = yield* Connections
    const dispatcher = yield* Dispatcher
    const router = yield* Router
    const session = yield* sessions.acquire(userId)

    const connection = new Connection(
      `c-${randomUUID()}`,
      userId,
      ws,
      { maxBufferedBytes: config.maxBufferedBytes, maxBufferedFrames: config.maxBufferedFrames },
      session.stream.lastSeq,
      config.resumeWindowMs,
      () => Metrics.bump(Metrics.slowConsumerCloses)
    )
    // the greeting goes first; only then does the connection join the stream
    connection.send(ServerFrame.notice("connection_established", {
      connection_id: connection.id,
      user_id: userId,
      last_seq: session.stream.lastSeq,
      heartbeat_ms: config.heartbeatMs,
      server: { version: SERVER_VERSION, node_id: config.nodeId }
    }))
    // every log line of this connection (and of the runs it starts) names it
    yield* Effect.annotateLogsScoped({ connection_id: connection.id })
    connection.holdForResume()
    session.stream.connections.add(connection)
    yield* connections.add(connection)
    yield* Effect.addFinalizer(() => {
      session.stream.connections.delete(connection)
      connection.close(1001, "going away")
      return connections.remove(connection)
    })

    const runtime = yield* Effect.runtime<never>()
    // built on the first frame: most connections sit idle, and the merged context is
    // the largest thing a connection would otherwise hold
    let frameContext: Context.Context<never> | undefined
    let runFork: ((effect: Effect.Effect<void>) => unknown) | undefined
    const fork = (effect: Effect.Effect<void>): void => {
      // the router's context holds every service its handlers declared; the route's own
      // (the upgrade request, its span) would only be retained for the connection's life
      frameContext ??= Context.merge(
        // the frame's slot first: each frame replaces it, and the fiber's check that its
        // context changed then stops at the first entry instead of comparing them all
        Context.merge(Context.make(CurrentFrame, FrameTicket.none), router.context),
        Context.make(UserContext, session).pipe(
          Context.add(CurrentConnection, connection),
          Context.add(Emitter, liveEmitter(session)),
          Context.add(Dispatcher, dispatcher)
        )
      )
      runFork ??= Runtime.runFork(Runtime.make({
        context: frameContext,
        fiberRefs: runtime.fiberRefs,
        runtimeFlags: runtime.runtimeFlags
      }))
      runFork(effect)
    }

    const drain: Effect.Effect<void> = Effect.suspend(() => {
      const frame = inbox.take()
      return frame === undefined
        ? Effect.void
        : Effect.zipRight(processFrame(connection, dispatcher, router, frameContext!, frame), drain)
    }) as Effect.Effect<void>
    const inbox = new Inbox(
      () => fork(drain),
      config.maxInboxFrames,
      (frame) => rejectOverflow(connection, frame)
    )

    ws.on("message", (data: RawData, isBinary: boolean) => inbox.push(isBinary ? null : rawText(data)))
    ws.on("pong", connection.onPong)
    // protocol violations (oversized frame: 1009, invalid UTF-8: 1007) arrive here after ws
    // has already closed with the right code; without a listener they would crash the process
    ws.on("error", (error) => fork(Effect.logDebug("socket error", error.message)))
    yield* Effect.async<void>((resume) => {
      if (ws.readyState === ws.CLOSED) return resume(Effect.void)
      ws.once("close", () => resume(Effect.void))
    })
  }).pipe(Effect.annotateLogs({ user_id: userId }))

// every event of every run comes here: publish and count in one step, no Effect-level metric update
const liveEmitter = (session: UserSession): Emitter["Type"] => ({
  emit: (event) =>
    Effect.clockWith((clock) =>
      Effect.sync(() => {
        session.stream.publishAt(event, clock.unsafeCurrentTimeMillis())
        Metrics.bump(Metrics.streamEvents)
      })
    )
})

const rawText = (data: RawData): string =>
  Buffer.isBuffer(data) ? data.toString("utf8") : Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data).toString("utf8")

const binaryFrame = new FrameError({ code: "INVALID_FRAME", message: "binary frames are not accepted: send JSON text" })

// Runs in the connection's frame context: decode, dispatch, answer.
const processFrame = (
  connection: Connection,
  dispatcher: Dispatcher["Type"],
  router: Router["Type"],
  frameContext: Context.Context<never>,
  raw: RawFrame
): Effect.Effect<void, never, never> => {
  if (raw === null) return reject(connection, undefined, binaryFrame)
  const decoded = decodeText(raw)
  if (Either.isLeft(decoded)) return reject(connection, decoded.left.id, decoded.left.error)
  const frame = decoded.right
  if (frame.type !== "resume") connection.releaseHeld()
  const ticket = new FrameTicket(frame.id)
  // one lookup serves both metrics; label values stay bounded: unclaimed types are `unknown`
  const handler = router.lookup(frame.type)
  const metrics = Metrics.frameMetrics(handler === undefined ? "unknown" : frame.type)
  // a migrating type records each of its sides itself (`legacy` / `next`): not timed twice
  const timed = handler === undefined || !isMigration(handler)
  const started = performance.now()
  // the drain fiber runs one frame at a time: setting its context is enough, no restore
  // (`provideService` would pay for an acquire/release around every frame)
  const setFrame = FiberRef.set(FiberRef.currentContext, Context.add(frameContext, CurrentFrame, ticket))
  return Effect.zipRight(setFrame, dispatcher.execute(frame)).pipe(
    Effect.map((outcome) => {
      if (timed) metrics.observe((performance.now() - started) / 1000)
      reply(connection, frame.id, outcome)
      ticket.markReplied()
      metrics.handled(outcome.status)
      if (outcome.status === "duplicate") Metrics.bump(Metrics.duplicatesSuppressed)
    })
  ) as Effect.Effect<void>
}

const reply = (connection: Connection, id: string | undefined, outcome: Outcome): void => {
  if (outcome.status === "error") return connection.send(ServerFrame.error(id, outcome.error))
  if (outcome.reply === "pong") return connection.send(ServerFrame.pong(id))
  if (id !== undefined) connection.send(ServerFrame.ack(id, outcome.status, outcome.result))
}

const reject = (connection: Connection, id: string | undefined, error: FrameError): Effect.Effect<void> =>
  Effect.sync(() => {
    connection.send(ServerFrame.error(id, error))
    Metrics.count(Metrics.framesRejected, { code: error.code })
  })

const rejectOverflow = (connection: Connection, raw: RawFrame): void => {
  const decoded = raw === null ? undefined : decodeText(raw)
  const id = decoded === undefined ? undefined : Either.isRight(decoded) ? decoded.right.id : decoded.left.id
  connection.send(ServerFrame.error(id, new FrameError({
    code: "RATE_LIMITED",
    message: "too many frames waiting on this connection: slow down and retry"
  })))
  Metrics.count(Metrics.framesRejected, { code: "RATE_LIMITED" })
}
