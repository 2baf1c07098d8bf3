/**
 * A legacy implementation that is a remote HTTP backend (PROTOCOL §8): each
 * frame becomes `POST {url}` with `{user_id, type, id, payload}`, answered
 * `200 {result?, events?: [{type, payload}]}`. The ack carries `result`; the
 * events go to the user's stream (through the `Emitter` in context, so a
 * shadow run captures them) right after the ack. A non-2xx answer, a body of
 * another shape, or no answer within the timeout is a failure; transient ones
 * (transport errors, timeouts, 408/429/5xx) are retried with a `Schedule`.
 *
 * Retried requests carry the same `id`: a backend that may receive a request
 * twice (a retry after a timeout) deduplicates on it.
 *
 * @since 0.1.0
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Data, Duration, Effect, Either, ParseResult, Schedule, Schema } from "effect"
import { FrameError } from "../protocol/FrameError.js"
import type { StreamEvent } from "../protocol/ServerFrame.js"
import { CurrentFrame } from "../router/FrameContext.js"
import * as Handler from "../router/Handler.js"
import { UserContext } from "../session/UserContext.js"
import { deliverAfterReply, toAckResult } from "./Legacy.js"

/**
 * Why a call to the legacy backend failed.
 *
 * @since 0.1.0
 */
export class LegacyBackendError extends Data.TaggedError("LegacyBackendError")<{
  readonly reason: "Transport" | "Timeout" | "Status" | "InvalidBody"
  readonly status?: number | undefined
  readonly detail: string
}> {
  override get message(): string {
    switch (this.reason) {
      case "Transport":
        return `legacy backend unreachable: ${this.detail}`
      case "Timeout":
        return `legacy backend did not answer: ${this.detail}`
      case "Status":
        return `legacy backend answered HTTP ${this.status}`
      case "InvalidBody":
        return `legacy backend answered an invalid body: ${this.detail}`
    }
  }
}

/**
 * Where the backend is and how patient to be with it.
 *
 * @since 0.1.0
 */
export interface Options {
  /** `LEGACY_BACKEND_URL` */
  readonly url: string
  /** per attempt (`LEGACY_TIMEOUT_MS`) */
  readonly timeoutMs: number
  /** extra attempts after a transient failure (`LEGACY_RETRIES`) */
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
 * A decoded response.
 *
 * @since 0.1.0
 */
export type LegacyResponse = typeof LegacyResponse.Type

const decodeResponse = Schema.decodeUnknownEither(LegacyResponse)

const TRANSIENT_STATUS: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])

/**
 * Is a retry worth it? Transport errors, timeouts and 408/429/5xx answers.
 *
 * @since 0.1.0
 */
export const isTransient = (error: LegacyBackendError): boolean =>
  error.reason === "Transport" || error.reason === "Timeout" ||
  (error.reason === "Status" && error.status !== undefined && TRANSIENT_STATUS.has(error.status))

/**
 * One call to the backend: attempts with a per-attempt timeout, transient
 * failures retried with exponential backoff, the body decoded.
 *
 * @since 0.1.0
 */
export const call = (
  options: Options,
  body: LegacyRequest
): Effect.Effect<LegacyResponse, LegacyBackendError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const request = HttpClientRequest.post(options.url).pipe(HttpClientRequest.bodyUnsafeJson(body))
    const attempt = client.execute(request).pipe(
      Effect.mapError((error) =>
        new LegacyBackendError({
          reason: error._tag === "RequestError" && error.reason === "Transport" ? "Transport" : "InvalidBody",
          detail: error.message
        })
      ),
      Effect.flatMap((response) =>
        response.status >= 200 && response.status < 300
          ? Effect.mapError(response.json, (error) => new LegacyBackendError({ reason: "InvalidBody", detail: error.message }))
          : Effect.fail(new LegacyBackendError({ reason: "Status", status: response.status, detail: `HTTP ${response.status}` }))
      ),
      Effect.timeoutFail({
        duration: Duration.millis(options.timeoutMs),
        onTimeout: () => new LegacyBackendError({ reason: "Timeout", detail: `no answer within ${options.timeoutMs} ms` })
      })
    )
    const json = yield* Effect.retry(attempt, {
      schedule: Schedule.exponential(Duration.millis(options.backoffMs ?? 50)).pipe(Schedule.jittered),
      times: Math.max(0, options.retries),
      while: isTransient
    })
    const decoded = decodeResponse(json)
    if (Either.isLeft(decoded)) {
      return yield* new LegacyBackendError({
        reason: "InvalidBody",
        detail: ParseResult.TreeFormatter.formatErrorSync(decoded.left)
      })
    }
    return decoded.right
  })

/**
 * How a backend failure is answered: `TIMEOUT` for a timeout, otherwise
 * `HANDLER_FAILED` with the reason (and HTTP status) in `details`.
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

/** A backend event as a stream event: agent events carry their `run_id` at the top level (PROTOCOL §3). */
const toStreamEvent = (event: typeof LegacyEvent.Type): StreamEvent => {
  const nested = event.payload["run_id"]
  const runId = event.run_id ?? (typeof nested === "string" ? nested : undefined)
  return runId === undefined ? { type: event.type, payload: event.payload } : {
    type: event.type,
    run_id: runId,
    payload: event.payload
  }
}

/**
 * The backend as the handler of `type`: it forwards the raw payload (the
 * backend validates it, as it always did).
 *
 * @since 0.1.0
 */
export const handler = (type: string, options: Options): Handler.Handler<HttpClient.HttpClient> =>
  Handler.make(type, {
    payload: Schema.Unknown,
    handle: (payload) =>
      Effect.gen(function*() {
        const user = yield* UserContext
        const frame = yield* CurrentFrame
        const response = yield* call(options, { user_id: user.userId, type, id: frame.id ?? null, payload }).pipe(
          Effect.mapError(toFrameError)
        )
        yield* deliverAfterReply(response.events.map(toStreamEvent))
        return toAckResult(response.result)
      })
  })
