import { Context, Effect, Either, FiberRef, Metric, Runtime } from "effect";
import { randomUUID } from "node:crypto";
import { SwitchyardConfig } from "../Config.js";
import * as Metrics from "../observability/Metrics.js";
import { decodeText } from "../protocol/ClientFrame.js";
import { FrameError } from "../protocol/FrameError.js";
import * as ServerFrame from "../protocol/ServerFrame.js";
import { Dispatcher } from "../router/Dispatcher.js";
import { CurrentConnection, CurrentFrame, FrameTicket } from "../router/FrameContext.js";
import { Router } from "../router/Router.js";
import { isMigration } from "../migration/Migration.js";
import { Connection } from "./Connection.js";
import { Connections } from "./Connections.js";
import { Emitter } from "./Emitter.js";
import { Inbox } from "./Inbox.js";
import { UserContext, UserSessions } from "./UserContext.js";
const SERVER_VERSION = "0.1.0";
const serveConnection = (ws, userId) => Effect.gen(function* () {
  const config = yield* SwitchyardConfig;
  const sessions = yield* UserSessions;
  const connections = yield* Connections;
  const dispatcher = yield* Dispatcher;
  const router = yield* Router;
  const session = yield* sessions.acquire(userId);
  const connection = new Connection(
    `c-${randomUUID()}`,
    userId,
    ws,
    { maxBufferedBytes: config.maxBufferedBytes, maxBufferedFrames: config.maxBufferedFrames },
    session.stream.lastSeq,
    config.resumeWindowMs,
    () => Metrics.bump(Metrics.slowConsumerCloses)
  );
  connection.send(ServerFrame.notice("connection_established", {
    connection_id: connection.id,
    user_id: userId,
    last_seq: session.stream.lastSeq,
    heartbeat_ms: config.heartbeatMs,
    server: { version: SERVER_VERSION, node_id: config.nodeId }
  }));
  yield* Effect.annotateLogsScoped({ connection_id: connection.id });
  connection.holdForResume();
  session.stream.connections.add(connection);
  yield* connections.add(connection);
  yield* Effect.addFinalizer(() => {
    session.stream.connections.delete(connection);
    connection.close(1001, "going away");
    return connections.remove(connection);
  });
  const runtime = yield* Effect.runtime();
  let frameContext;
  let runFork;
  const fork = (effect) => {
    frameContext ??= Context.merge(
      Context.merge(runtime.context, router.context),
      Context.make(UserContext, session).pipe(
        Context.add(CurrentConnection, connection),
        Context.add(Emitter, liveEmitter(session)),
        Context.add(Dispatcher, dispatcher)
      )
    );
    runFork ??= Runtime.runFork(Runtime.make({
      context: frameContext,
      fiberRefs: runtime.fiberRefs,
      runtimeFlags: runtime.runtimeFlags
    }));
    runFork(effect);
  };
  const drain = Effect.suspend(() => {
    const frame = inbox.take();
    return frame === void 0 ? Effect.void : Effect.zipRight(processFrame(connection, dispatcher, router, frameContext, frame), drain);
  });
  const inbox = new Inbox(
    () => fork(drain),
    config.maxInboxFrames,
    (frame) => rejectOverflow(connection, frame)
  );
  ws.on("message", (data, isBinary) => inbox.push(isBinary ? null : rawText(data)));
  ws.on("pong", connection.onPong);
  ws.on("error", (error) => fork(Effect.logDebug("socket error", error.message)));
  yield* Effect.async((resume) => {
    if (ws.readyState === ws.CLOSED) return resume(Effect.void);
    ws.once("close", () => resume(Effect.void));
  });
}).pipe(Effect.annotateLogs({ user_id: userId }));
const liveEmitter = (session) => ({
  emit: (event) => Effect.asVoid(Effect.tap(session.stream.publish(event), () => Metric.increment(Metrics.streamEvents)))
});
const rawText = (data) => Buffer.isBuffer(data) ? data.toString("utf8") : Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data).toString("utf8");
const binaryFrame = new FrameError({ code: "INVALID_FRAME", message: "binary frames are not accepted: send JSON text" });
const processFrame = (connection, dispatcher, router, frameContext, raw) => {
  if (raw === null) return reject(connection, void 0, binaryFrame);
  const decoded = decodeText(raw);
  if (Either.isLeft(decoded)) return reject(connection, decoded.left.id, decoded.left.error);
  const frame = decoded.right;
  if (frame.type !== "resume") connection.releaseHeld();
  const ticket = new FrameTicket(frame.id);
  const handler = router.lookup(frame.type);
  const metrics = Metrics.frameMetrics(handler === void 0 ? "unknown" : frame.type);
  const timed = handler === void 0 || !isMigration(handler);
  const started = performance.now();
  const setFrame = FiberRef.set(FiberRef.currentContext, Context.add(frameContext, CurrentFrame, ticket));
  return Effect.zipRight(setFrame, dispatcher.execute(frame)).pipe(
    Effect.map((outcome) => {
      if (timed) metrics.observe((performance.now() - started) / 1e3);
      reply(connection, frame.id, outcome);
      ticket.markReplied();
      metrics.handled(outcome.status);
      if (outcome.status === "duplicate") Metrics.bump(Metrics.duplicatesSuppressed);
    })
  );
};
const reply = (connection, id, outcome) => {
  if (outcome.status === "error") return connection.send(ServerFrame.error(id, outcome.error));
  if (outcome.reply === "pong") return connection.send(ServerFrame.pong(id));
  if (id !== void 0) connection.send(ServerFrame.ack(id, outcome.status, outcome.result));
};
const reject = (connection, id, error) => Effect.sync(() => {
  connection.send(ServerFrame.error(id, error));
  Metrics.count(Metrics.framesRejected, { code: error.code });
});
const rejectOverflow = (connection, raw) => {
  const decoded = raw === null ? void 0 : decodeText(raw);
  const id = decoded === void 0 ? void 0 : Either.isRight(decoded) ? decoded.right.id : decoded.left.id;
  connection.send(ServerFrame.error(id, new FrameError({
    code: "RATE_LIMITED",
    message: "too many frames waiting on this connection: slow down and retry"
  })));
  Metrics.count(Metrics.framesRejected, { code: "RATE_LIMITED" });
};
export {
  SERVER_VERSION,
  serveConnection
};
//# sourceMappingURL=ServeConnection.js.map
