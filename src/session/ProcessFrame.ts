import { Effect, Either } from "effect"
import { isMigration } from "../migration/Migration.js"
import * as Metrics from "../observability/Metrics.js"
import { decodeText } from "../protocol/ClientFrame.js"
import { FrameError } from "../protocol/FrameError.js"
import * as ServerFrame from "../protocol/ServerFrame.js"
import type { Dispatcher, Outcome } from "../router/Dispatcher.js"
import { type FrameSlot, FrameTicket } from "../router/FrameContext.js"
import type { Router } from "../router/Router.js"
import type { Connection } from "./Connection.js"
import type { RawFrame } from "./Inbox.js"

/**
 * One client frame, from its raw text to its answer on the connection
 * (PROTOCOL §5): decode, dispatch in the frame's context, reply, count.
 */

const binaryFrame = new FrameError({ code: "INVALID_FRAME", message: "binary frames are not accepted: send JSON text" })

/**
 * Runs in the connection's drain fiber, whose context is the connection's
 * frame context and whose frame slot is `slot`: called as the frame is taken,
 * it moves the slot to this frame.
 */
export const processFrame = (
  connection: Connection,
  dispatcher: Dispatcher["Type"],
  router: Router["Type"],
  slot: FrameSlot,
  raw: RawFrame
): Effect.Effect<void, never, never> => {
  if (raw === null) return reject(connection, undefined, binaryFrame)
  const decoded = decodeText(raw)
  if (Either.isLeft(decoded)) return reject(connection, decoded.left.id, decoded.left.error)
  const frame = decoded.right
  if (frame.type !== "resume") connection.releaseHeld()
  const ticket = new FrameTicket(frame.id)
  slot.ticket = ticket
  // one lookup serves both metrics; label values stay bounded: unclaimed types are `unknown`
  const handler = router.lookup(frame.type)
  const metrics = Metrics.frameMetrics(handler === undefined ? "unknown" : frame.type)
  // a migrating type records each of its sides itself (`legacy` / `next`): not timed twice
  const timed = handler === undefined || !isMigration(handler)
  const started = performance.now()
  return dispatcher.execute(frame).pipe(
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

/** Answers a frame that found the connection's inbox full. */
export const rejectOverflow = (connection: Connection, raw: RawFrame): void => {
  const decoded = raw === null ? undefined : decodeText(raw)
  const id = decoded === undefined ? undefined : Either.isRight(decoded) ? decoded.right.id : decoded.left.id
  connection.send(ServerFrame.error(id, new FrameError({
    code: "RATE_LIMITED",
    message: "too many frames waiting on this connection: slow down and retry"
  })))
  Metrics.count(Metrics.framesRejected, { code: "RATE_LIMITED" })
}
