import { Cause, Effect, Either } from "effect"
import type { Outcome } from "../handlers/Dispatch.js"
import { type FrameSlot, FrameTicket } from "../handlers/FrameContext.js"
import * as Metrics from "../observability/Metrics.js"
import { CloseCode } from "../protocol/ErrorCode.js"
import { type ClientFrame, decodeText, type RejectedFrame } from "../protocol/ClientFrame.js"
import { FrameError } from "../protocol/FrameError.js"
import { topLevelAt } from "../protocol/JsonDepth.js"
import * as ServerFrame from "../protocol/ServerFrame.js"
import { arrivalCost, batchExtra, type RateLimiter } from "../resilience/UserRateLimit.js"
import type { Dispatcher } from "./Dispatcher.js"
import type { FrameConnection, RawFrame } from "./FrameConnection.js"

/**
 * One client frame, from its raw text to its answer on the connection
 * (PROTOCOL §5): decode, rate limit, run its route's middleware and handler in
 * the frame's context (`Dispatcher`), reply, and let the route's observers
 * (metrics, timing) see the outcome.
 * Total: whatever fails on the way (a reply that cannot be encoded, a defect
 * anywhere) answers that frame `INTERNAL` and the connection's next frames go on.
 */

/** What every frame of the node goes through besides its handler. */
export interface FramePath {
  readonly dispatcher: Dispatcher["Type"]
  /** `MAX_JSON_DEPTH` */
  readonly maxJsonDepth: number
  readonly rateLimit: RateLimiter
}

const binaryFrame: RejectedFrame = {
  id: undefined,
  error: new FrameError({ code: "INVALID_FRAME", message: "binary frames are not accepted: send JSON text" })
}

const internal = new FrameError({ code: "INTERNAL", message: "internal error" })

/** Where one frame stands, for the guard that answers it if anything fails. */
interface FrameState {
  id: string | undefined
  answered: boolean
  ticket: FrameTicket | undefined
}

/**
 * Runs in the connection's drain fiber, whose context is the connection's
 * frame context and whose frame slot is `slot`: called as the frame is taken,
 * it moves the slot to this frame. Never fails and never dies.
 */
export const processFrame = (
  connection: FrameConnection,
  path: FramePath,
  slot: FrameSlot,
  raw: RawFrame
): Effect.Effect<void> => {
  const state: FrameState = { id: undefined, answered: false, ticket: undefined }
  return Effect.catchAllCause(
    Effect.suspend(() => handle(connection, path, slot, raw, state)),
    (cause) => recover(connection, state, cause)
  )
}

const handle = (
  connection: FrameConnection,
  path: FramePath,
  slot: FrameSlot,
  raw: RawFrame,
  state: FrameState
): Effect.Effect<void> => {
  const decoded: Either.Either<ClientFrame, RejectedFrame> = raw === null
    ? Either.left(binaryFrame)
    : decodeText(raw, path.maxJsonDepth)
  state.id = Either.isRight(decoded) ? decoded.right.id : decoded.left.id
  // every frame paid for its size on arrival (`chargeOnArrival`); a batch pays for its other messages now
  const extra = Either.isRight(decoded) ? batchExtra(decoded.right) : 0
  const retryAfterMs = extra > 0 ? path.rateLimit.take(connection.userId, extra) : 0
  if (retryAfterMs > 0) {
    connection.pauseReading(retryAfterMs)
    return reject(connection, state, rateLimited(retryAfterMs))
  }
  if (Either.isLeft(decoded)) return reject(connection, state, decoded.left.error)
  const frame = decoded.right
  if (frame.type !== "resume") connection.releaseHeld()
  const ticket = new FrameTicket(frame.id)
  slot.ticket = ticket
  state.ticket = ticket
  // the route's chain was composed when the dispatcher was built: one lookup per frame
  const route = path.dispatcher.route(frame.type)
  const started = performance.now()
  // the drain fiber's context is the connection's frame context: it holds every frame service
  return Effect.flatMap(route.run(frame) as Effect.Effect<Outcome>, (outcome) => {
    // observers ride on the reply's step: watching costs no Effect of its own
    route.observe(outcome, started)
    const text = encodeReply(frame.id, outcome)
    if (text === undefined || typeof text === "string") {
      answer(connection, state, text)
      return Effect.void
    }
    // the reply could not be encoded (a result with a BigInt, a cycle, a throwing getter, too deep)
    answer(connection, state, ServerFrame.error(frame.id, internal))
    return Effect.logError("a reply could not be encoded", { type: frame.type, error: describe(text.error) })
  })
}

/** Which limit refused a frame (`details.limit` of its `RATE_LIMITED`): the user's message rate, or the connection's inbox. */
export type FrameLimit = "messages" | "inbox"

const rateLimited = (retryAfterMs: number, limit: FrameLimit = "messages"): FrameError =>
  new FrameError({
    code: "RATE_LIMITED",
    message: limit === "messages"
      ? "too many messages: slow down and retry"
      : "too many frames waiting on this connection: slow down and retry",
    details: { retry_after_ms: retryAfterMs, limit }
  })

/** The reply's text, `undefined` for a frame answered by nothing (an ack-less success), or what encoding threw. */
const encodeReply = (
  id: string | undefined,
  outcome: Outcome
): string | undefined | { readonly error: unknown } => {
  try {
    if (outcome.status === "error") return ServerFrame.error(id, outcome.error)
    if (outcome.reply === "pong") return ServerFrame.pong(id)
    return id === undefined ? undefined : ServerFrame.ack(id, outcome.status, outcome.result)
  } catch (error) {
    return { error }
  }
}

// sends the frame's one reply (or none) and releases what waits for it (the run's events);
// then closes the connection if the handler asked for it (`disconnect`)
const answer = (connection: FrameConnection, state: FrameState, text: string | undefined): void => {
  state.answered = true
  try {
    if (text !== undefined) connection.send(text)
  } finally {
    const ticket = state.ticket
    if (ticket !== undefined) {
      ticket.markReplied()
      const close = ticket.closeRequested
      if (close !== undefined) connection.close(CloseCode.normal, close)
    }
  }
}

const reject = (connection: FrameConnection, state: FrameState, error: FrameError): Effect.Effect<void> => {
  Metrics.count(Metrics.framesRejected, { code: error.code })
  answer(connection, state, ServerFrame.error(state.id, error))
  return Effect.void
}

// the guard of the whole path: the frame gets its one answer, the failure is logged, the drain goes on
const recover = (connection: FrameConnection, state: FrameState, cause: Cause.Cause<unknown>): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (!state.answered) answer(connection, state, ServerFrame.error(state.id, internal))
    else state.ticket?.markReplied()
    return Effect.logError("a frame failed", describe(Cause.squash(cause)))
  }).pipe(Effect.catchAllCause(() => Effect.void))

// an error's name and message, bounded: never the value that failed to encode
const describe = (error: unknown): string => {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : typeof error
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}

/**
 * The first step of a frame, on the socket's event, before it is queued or
 * parsed: it pays for its size (at least one message) from the user's rate.
 * Returns how long the client must wait, 0 when the frame may be queued.
 */
export const chargeOnArrival = (connection: FrameConnection, path: FramePath, raw: RawFrame): number =>
  path.rateLimit.take(connection.userId, arrivalCost(raw === null ? 0 : raw.length))

/**
 * Answers a frame refused on arrival, unparsed: `RATE_LIMITED` with its id,
 * read by one linear scan of the frame's top level. Must not throw.
 */
export const rejectOnArrival = (connection: FrameConnection, raw: RawFrame, retryAfterMs: number, limit: FrameLimit): void => {
  try {
    connection.send(ServerFrame.error(idOf(raw), rateLimited(retryAfterMs, limit)))
    Metrics.count(Metrics.framesRejected, { code: "RATE_LIMITED" })
  } catch {
    // a frame we could not even refuse is dropped; the socket goes on
  }
}

// a refused frame's id, without parsing it: a string of 1–128 characters, or none
const idOf = (raw: RawFrame): string | undefined => {
  if (raw === null) return undefined
  const id = topLevelAt(raw, -1).id
  return id !== undefined && id.length >= 1 && id.length <= 128 ? id : undefined
}

/**
 * Counts a frame dropped unread: one that arrived while its connection was
 * not being read, after that pause had answered its share of frames (ws hands
 * over every frame of one socket read at once, also after the socket was
 * paused). `notify` says whether to tell the client, at most once a second,
 * with one `RATE_LIMITED` without id: it resends what was not acknowledged
 * (PROTOCOL §5 makes that safe). Must not throw.
 */
export const dropUnread = (connection: FrameConnection, notify: boolean, retryAfterMs: number, limit: FrameLimit): void => {
  Metrics.count(Metrics.framesRejected, { code: "RATE_LIMITED" })
  if (!notify) return
  connection.send(ServerFrame.error(undefined, new FrameError({
    code: "RATE_LIMITED",
    message: "frames sent while this connection was over its limits were not read: slow down, then resend what was not acknowledged",
    details: { retry_after_ms: retryAfterMs, limit }
  })))
}
