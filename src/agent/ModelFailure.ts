/**
 * Why a run of a model-backed agent failed: the closed set of `AgentError`
 * codes it ends with (`agent_completed {status: "failed", error: {code}}`),
 * how an `@effect/ai` error maps onto them, and which are safe to retry.
 * Import as a namespace: `import * as ModelFailure from "./ModelFailure.js"`.
 */
import type * as AiError from "@effect/ai/AiError"
import { Schema } from "effect"
import { AgentError } from "./Agent.js"

/** The error codes of a model-backed agent's failed runs. */
export const Code = Schema.Literal(
  /** the model server did not answer, or stopped streaming, for `OPENAI_TIMEOUT_MS` */
  "MODEL_TIMEOUT",
  /** no connection to the model server (refused, reset, DNS) */
  "MODEL_UNREACHABLE",
  /** HTTP 429 */
  "MODEL_RATE_LIMITED",
  /** any other HTTP 4xx: a bad key, an unknown model, a request the server refuses */
  "MODEL_HTTP_4XX",
  /** HTTP 5xx */
  "MODEL_HTTP_5XX",
  /** the stream could not be read: not SSE/JSON, broken off, or ended before the model finished */
  "MODEL_BAD_STREAM",
  /** the server reported an error inside an otherwise well-formed stream */
  "MODEL_ERROR",
  /** the request could not be built or sent (configuration) */
  "MODEL_BAD_REQUEST",
  /** the model still asked for tools after `AGENT_MAX_STEPS` model calls */
  "MODEL_MAX_STEPS",
  /** a tool the model called failed (its `tool_completed` has `ok: false`) */
  "TOOL_FAILED"
)

/** @see Code */
export type Code = typeof Code.Type

/** An `AgentError` with one of the model codes; long messages are cut, since they go to the user. */
export const make = (code: Code, message: string): AgentError =>
  new AgentError({ code, message: message.length > 300 ? `${message.slice(0, 297)}...` : message })

// Safe to send again: nothing reached the model, or the server said so (429, 5xx).
const RETRYABLE: ReadonlySet<string> = new Set<Code>(["MODEL_UNREACHABLE", "MODEL_RATE_LIMITED", "MODEL_HTTP_5XX"])

/**
 * Whether a failed model call may be sent again. The agent also requires that
 * the call had not produced anything the user saw yet.
 */
export const isRetryable = (error: AgentError): boolean => RETRYABLE.has(error.code)

/**
 * What the log may say of a failed model call: its kind, reason, status and
 * (bounded) description and body — never the request's headers nor the
 * error's `cause`, which carry the API key (`fromRequestError` redacts the
 * headers only while a logger formats them, not in the error it builds).
 */
export const forLog = (error: AiError.AiError): Record<string, unknown> => {
  const description = "description" in error && typeof error.description === "string" ? error.description.slice(0, 300) : undefined
  switch (error._tag) {
    case "HttpRequestError":
      return { error: error._tag, reason: error.reason, description }
    case "HttpResponseError":
      return { error: error._tag, reason: error.reason, status: error.response.status, description, body: error.body?.slice(0, 300) }
    default:
      return { error: error._tag, description }
  }
}

/**
 * The `AgentError` of an `@effect/ai` failure. Messages name the failure,
 * never the upstream body or headers: they go to the user, and an upstream
 * error body may quote a key or an internal address (it is logged instead).
 */
export const fromAiError = (error: AiError.AiError): AgentError => {
  switch (error._tag) {
    case "HttpRequestError":
      return error.reason === "Transport"
        ? make("MODEL_UNREACHABLE", "could not reach the model server")
        : make("MODEL_BAD_REQUEST", `could not send the request to the model server (${error.reason})`)
    case "HttpResponseError": {
      const status = error.response.status
      if (error.reason !== "StatusCode" || (status >= 200 && status < 300)) {
        return make("MODEL_BAD_STREAM", "the model server's response broke off or could not be read")
      }
      if (status === 429) return make("MODEL_RATE_LIMITED", "the model server is rate limiting (HTTP 429)")
      if (status >= 500) return make("MODEL_HTTP_5XX", `the model server failed (HTTP ${status})`)
      return make("MODEL_HTTP_4XX", `the model server refused the request (HTTP ${status})`)
    }
    case "MalformedOutput":
      // the description may quote the stream: it is logged, not sent
      return make("MODEL_BAD_STREAM", "the model server's stream is malformed")
    case "MalformedInput":
      return make("MODEL_BAD_REQUEST", `the request to the model is malformed: ${error.description ?? "invalid"}`)
    case "UnknownError":
      return make("MODEL_ERROR", "the model server reported an error")
  }
}
