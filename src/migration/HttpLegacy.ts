/**
 * A legacy implementation that is a remote HTTP backend (PROTOCOL §8): each
 * frame becomes `POST {url}` with `{user_id, type, id, payload}`, answered
 * `200 {result?, events?: [{type, payload}]}`. The ack carries `result`; the
 * events go to the user's stream (through the `Emitter` in context, so a
 * shadow run captures them) right after the ack. A non-2xx answer, a body of
 * another shape (or with an event the protocol does not allow), or no answer
 * within the timeout is a failure.
 *
 * Retries never make one write happen twice: a frame with an id is sent with
 * `Idempotency-Key: <user_id>:<id>` and retried after a timeout or a 5xx (the
 * backend deduplicates on the key); a frame without one is retried only when
 * the connection was never made. Clients get a code and a safe message; the
 * details (URL redacted) go to the logs.
 *
 * @since 0.1.0
 */
import { HttpClient, type HttpClientError, HttpClientRequest } from "@effect/platform"
import { Data, Duration, Effect, Either, identity, Redacted, Schedule, Schema } from "effect"
import { FrameError } from "../protocol/FrameError.js"
import type { StreamEvent } from "../protocol/StreamEvents.js"
import * as StreamEvents from "../protocol/StreamEvents.js"
import { CurrentFrame } from "../handlers/FrameContext.js"
import * as Handler from "../handlers/Handler.js"
import { CurrentUser } from "../state/CurrentUser.js"
import type { Emitter } from "../state/Emitter.js"
import { deliverAfterReply, LegacyResult, toAckResult } from "./Legacy.js"
import { redactText, redactUrl, secretsOf } from "./RedactUrl.js"

/**
 * Why a call to the legacy backend failed. `message` is safe to show anyone
 * (a reason and an HTTP status); `detail` is for the logs only, already
 * stripped of the backend URL's credentials and query — never send it to a client.
 *
 * - `Connect`: the connection was never made (refused, DNS, unreachable): the
 *   request provably never reached the backend;
 * - `Transport`: the connection broke: the request may have reached it;
 * - `Timeout`, `Status` (non-2xx), `InvalidBody` (not JSON, or not PROTOCOL §8's shape).
 *
 * @since 0.1.0
 */
export class LegacyBackendError extends Data.TaggedError("LegacyBackendError")<{
  readonly reason: "Connect" | "Transport" | "Timeout" | "Status" | "InvalidBody"
  readonly status?: number | undefined
  readonly detail: string
}> {
  override get message(): string {
    switch (this.reason) {
      case "Connect":
      case "Transport":
        return "the legacy backend is unreachable"
      case "Timeout":
        return "the legacy backend did not answer in time"
      case "Status":
        return `the legacy backend failed (HTTP ${this.status})`
      case "InvalidBody":
        return "the legacy backend answered an invalid body"
    }
  }
}

/**
 * Where the backend is and how patient to be with it.
 *
 * @since 0.1.0
 */
export interface Options {
  /** `LEGACY_BACKEND_URL`: may carry credentials, so it is only ever logged redacted */
  readonly url: Redacted.Redacted<string> | string
  /** per attempt (`LEGACY_TIMEOUT_MS`) */
  readonly timeoutMs: number
  /** extra attempts after a failure that may be retried (`LEGACY_RETRIES`) */
  readonly retries: number
  /** first backoff between attempts, doubled each time (default 50 ms) */
  readonly backoffMs?: number
}

/**
 * The request body (PROTOCOL §8).
 *
 * @since 0.1.0
 */
export interface LegacyRequest {
  readonly user_id: string
  readonly type: string
  readonly id: string | null
  readonly payload: unknown
}

const LegacyEvent = Schema.Struct({
  type: Schema.String,
  payload: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.Unknown }), {
    default: () => ({})
  }),
  run_id: Schema.optional(Schema.String)
})

/**
 * The response body (PROTOCOL §8): both fields optional.
 *
 * @since 0.1.0
 */
export const LegacyResponse = Schema.Struct({
  result: Schema.optional(Schema.Unknown),
  events: Schema.optionalWith(Schema.Array(LegacyEvent), { default: () => [] })
})

/**
 * A decoded response, its events checked against the protocol: each is one
 * of the stream events PROTOCOL §6–§7 define (an agent event with its
 * `run_id` at the top level), or an event of a type of the backend's own.
 *
 * @since 0.1.0
 */
export interface LegacyAnswer {
  readonly result?: unknown
  readonly events: ReadonlyArray<StreamEvent>
}

const decodeResponse = Schema.decodeUnknownEither(LegacyResponse)
const decodeEvent = Schema.decodeUnknownEither(StreamEvents.StreamEvent)

/** A backend event as a stream event: agent events carry their `run_id` at the top level (PROTOCOL §3). */
const liftRunId = (event: typeof LegacyEvent.Type): typeof LegacyEvent.Type => {
  if (event.run_id !== undefined) return event
  const nested = event.payload["run_id"]
  return typeof nested === "string" ? { type: event.type, run_id: nested, payload: event.payload } : event
}

/**
 * The backend's events as the user's stream takes them, or the index of the
 * first that the protocol does not allow (a built-in type with another
 * payload, an agent event without a `run_id`): the service does not send
 * what its contract does not allow, whoever wrote it. Decoding drops fields
 * the schemas do not name, as it does for every payload.
 */
const toStreamEvents = (
  events: ReadonlyArray<typeof LegacyEvent.Type>
): Either.Either<ReadonlyArray<StreamEvent>, number> => {
  const out: Array<StreamEvent> = []
  for (let i = 0; i < events.length; i++) {
    const decoded = decodeEvent(liftRunId(events[i]!))
    if (Either.isLeft(decoded)) return Either.left(i)
    out.push(decoded.right)
  }
  return Either.right(out)
}

/** Answers that say the request may be tried again (the backend did not do it, or did it idempotently). */
const RETRYABLE_STATUS: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])

/**
 * May the request be sent again after `error` (PROTOCOL §8)? A request that
 * provably never arrived (`Connect`) always may. One that may have reached
 * the backend (broken connection, timeout, 408/429/5xx) only when it carries
 * an `Idempotency-Key` (`idempotent`: the frame had an id), so that the
 * backend can tell a retry from a second write.
 *
 * @since 0.1.0
 */
export const isRetryable = (error: LegacyBackendError, idempotent: boolean): boolean => {
  switch (error.reason) {
    case "Connect":
      return true
    case "Transport":
    case "Timeout":
      return idempotent
    case "Status":
      return idempotent && error.status !== undefined && RETRYABLE_STATUS.has(error.status)
    case "InvalidBody":
      return false
  }
}

/** Error codes of Node sockets and DNS that mean no connection was ever made. */
const CONNECT_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_FAIL",
  "EAI_NONAME",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT"
])

/** Did the transport fail before a connection existed? Looks a few `cause`s deep for a Node error code. */
const neverConnected = (error: unknown): boolean => {
  let current: unknown = error
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { readonly code?: unknown }).code
    if (typeof code === "string" && CONNECT_CODES.has(code)) return true
    current = (current as { readonly cause?: unknown }).cause
  }
  return false
}

/** The transport's own words (`connect ECONNREFUSED …`), which the client error's message leaves out. */
const causeOf = (error: HttpClientError.HttpClientError): string => {
  const cause: unknown = error.cause
  return cause instanceof Error ? `: ${cause.message}` : ""
}

/**
 * The request body as JSON text, or `INVALID_MESSAGE` when the payload cannot
 * be serialized (nested too deeply for `JSON.stringify`): the client's
 * failure, which counts against neither side (PROTOCOL §8).
 *
 * @since 0.1.0
 */
export const encodeRequest = (body: LegacyRequest): Effect.Effect<string, FrameError> =>
  Effect.try({
    try: () => JSON.stringify(body),
    catch: () =>
      FrameError.invalidMessage("the payload cannot be forwarded (nested too deeply)", ["payload"], "a JSON object the service can serialize")
  })

/**
 * One call to the backend: attempts with a per-attempt timeout, retried with
 * exponential backoff when `isRetryable` allows, the body decoded. A frame
 * with an id is sent with `Idempotency-Key: <user_id>:<id>` on every attempt.
 * Fails with `FrameError` only for a request that cannot be encoded.
 *
 * @since 0.1.0
 */
export const call = (
  options: Options,
  body: LegacyRequest
): Effect.Effect<LegacyAnswer, LegacyBackendError | FrameError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const url = Redacted.isRedacted(options.url) ? Redacted.value(options.url) : options.url
    const secrets = secretsOf(url)
    const safe = (text: string) => redactText(text, secrets)
    const json = yield* encodeRequest(body)
    const idempotent = body.id !== null
    const request = HttpClientRequest.post(url).pipe(
      HttpClientRequest.bodyText(json, "application/json"),
      idempotent ? HttpClientRequest.setHeader("idempotency-key", `${body.user_id}:${body.id}`) : identity
    )
    const attempt = client.execute(request).pipe(
      Effect.mapError((error) =>
        new LegacyBackendError({
          reason: error._tag === "RequestError" && error.reason === "Transport"
            ? (neverConnected(error.cause) ? "Connect" : "Transport")
            : "InvalidBody",
          detail: safe(`${error.message}${causeOf(error)}`)
        })
      ),
      Effect.flatMap((response) =>
        response.status >= 200 && response.status < 300
          ? Effect.mapError(response.json, (error) => new LegacyBackendError({ reason: "InvalidBody", detail: safe(error.message) }))
          : Effect.fail(new LegacyBackendError({ reason: "Status", status: response.status, detail: `HTTP ${response.status}` }))
      ),
      Effect.timeoutFail({
        duration: Duration.millis(options.timeoutMs),
        onTimeout: () => new LegacyBackendError({ reason: "Timeout", detail: `no answer within ${options.timeoutMs} ms` })
      })
    )
    const answer = yield* Effect.retry(attempt, {
      schedule: Schedule.exponential(Duration.millis(options.backoffMs ?? 50)).pipe(Schedule.jittered),
      times: Math.max(0, options.retries),
      while: (error) => isRetryable(error, idempotent)
    })
    const decoded = decodeResponse(answer)
    if (Either.isLeft(decoded)) {
      return yield* new LegacyBackendError({
        reason: "InvalidBody",
        // the schema's report quotes the body's values: only its shape goes to the log
        detail: "the body is not {result?, events?: [{type, payload}]}"
      })
    }
    const events = toStreamEvents(decoded.right.events)
    if (Either.isLeft(events)) {
      return yield* new LegacyBackendError({
        reason: "InvalidBody",
        detail: `events[${events.left}] is not an event the protocol allows (PROTOCOL §6-§7)`
      })
    }
    return decoded.right.result === undefined ? { events: events.right } : { result: decoded.right.result, events: events.right }
  })

/**
 * How a backend failure is answered: `TIMEOUT` for a timeout, otherwise
 * `HANDLER_FAILED` with the reason (and HTTP status) in `details` — never the
 * URL, its credentials or the backend's body.
 *
 * @since 0.1.0
 */
export const toFrameError = (error: LegacyBackendError): FrameError =>
  error.reason === "Timeout"
    ? new FrameError({ code: "TIMEOUT", message: error.message })
    : FrameError.handlerFailed(
      error.message,
      error.status === undefined ? { reason: error.reason } : { reason: error.reason, status: error.status }
    )

/** Logs what went wrong in full (redacted), then gives the client's error. */
const reportFailure = (type: string, url: Options["url"]) => (error: LegacyBackendError | FrameError) =>
  error instanceof FrameError ? Effect.succeed(error) : Effect.as(
    Effect.logWarning("legacy backend call failed").pipe(
      Effect.annotateLogs({
        type,
        reason: error.reason,
        status: error.status ?? null,
        detail: error.detail,
        backend: redactUrl(Redacted.isRedacted(url) ? Redacted.value(url) : url)
      })
    ),
    toFrameError(error)
  )

/**
 * The backend as the handler of `type`: it forwards the raw payload (the
 * backend validates it, as it always did).
 *
 * @since 0.1.0
 */
export const handler = (type: string, options: Options): Handler.Handler<HttpClient.HttpClient | CurrentUser | Emitter> =>
  Handler.make(type, {
    payload: Schema.Unknown,
    success: LegacyResult,
    errors: ["HANDLER_FAILED", "TIMEOUT"],
    handle: (payload) =>
      Effect.gen(function*() {
        const user = yield* CurrentUser
        const frame = yield* CurrentFrame
        const response = yield* call(options, { user_id: user.userId, type, id: frame.id ?? null, payload }).pipe(
          Effect.catchAll((error) => Effect.flatMap(reportFailure(type, options.url)(error), Effect.fail))
        )
        yield* deliverAfterReply(response.events)
        return toAckResult(response.result)
      })
  })
