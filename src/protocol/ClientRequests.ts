import { Schema } from "effect"
import type { ErrorCode } from "./ErrorCode.js"
import {
  Batch,
  ClientErrorReport,
  EmptyPayload,
  QualityAlertRequest,
  QualityMetricsRequest,
  QualityReportRequest,
  QualityValidationRequest,
  Resume,
  StartAgent,
  StopAgent,
  Typing,
  UserMessage
} from "./Payloads.js"
import { QualityMetrics, QualityReport, ValidationResult } from "./Quality.js"
import { AlertSubscribed, BatchResult, EmptyResult, ResumeResult, RunStarted, RunStopped } from "./Results.js"

/**
 * One request type of the protocol, as `@effect/rpc`'s `Rpc.make` declares a
 * procedure: what its payload decodes by, what its success (the `ack`'s
 * `result`) encodes by, and the error codes its handler answers with. The
 * built-in handlers are declared with these (`Handler.make(type, {
 * ...ClientRequests[type], handle })`), so the handler, the client and the
 * AsyncAPI document share one declaration (the `description` is the
 * document's alone).
 */
export interface ClientRequest<P extends Schema.Schema.AnyNoContext, S extends Schema.Schema.AnyNoContext> {
  readonly payload: P
  readonly success: S
  /** the codes its handler fails with, besides those any request may get ({@link COMMON_ERRORS}) */
  readonly errors: ReadonlyArray<ErrorCode>
  /** how a success is answered: an `ack` with the result, or (`ping`) a `pong` */
  readonly reply: "ack" | "pong"
  /** one line for the contract's readers */
  readonly description: string
}

/** Any request type's declaration. */
export type AnyClientRequest = ClientRequest<Schema.Schema.AnyNoContext, Schema.Schema.AnyNoContext>

/**
 * The codes any request may be answered with: a bad frame or payload, the
 * user's rate limit (docs/protocol.md section 10), the service unable to
 * answer (`UNAVAILABLE`: the dedupe store away for a frame with an `id`, the
 * handler interrupted), a bug of the service.
 */
export const COMMON_ERRORS: ReadonlyArray<ErrorCode> = ["INVALID_MESSAGE", "RATE_LIMITED", "UNAVAILABLE", "INTERNAL"]

/**
 * The codes a type served through a migration (`LEGACY_TYPES`, docs/protocol.md
 * section 8) may also get: its legacy implementation failed, or did not answer in time.
 */
export const MIGRATION_ERRORS: ReadonlyArray<ErrorCode> = ["HANDLER_FAILED", "TIMEOUT"]

const request = <P extends Schema.Schema.AnyNoContext, S extends Schema.Schema.AnyNoContext>(
  options: {
    readonly payload: P
    readonly success: S
    readonly errors?: ReadonlyArray<ErrorCode>
    readonly reply?: "ack" | "pong"
    readonly description: string
  }
): ClientRequest<P, S> => ({
  payload: options.payload,
  success: options.success,
  errors: options.errors ?? [],
  reply: options.reply ?? "ack",
  description: options.description
})

const runStart = {
  payload: StartAgent,
  success: RunStarted,
  description: "Starts an agent run (like `user_message`, with the agent and its params)."
} as const

/** Every request type of PROTOCOL §4, by `type`. */
export const ClientRequests = {
  ping: request({
    payload: EmptyPayload,
    success: EmptyResult,
    reply: "pong",
    description: "Answered by `pong` (with the frame's id, if any); never acknowledged, never deduplicated."
  }),
  user_message: request({
    payload: UserMessage,
    success: RunStarted,
    description: "A chat turn: starts an agent run, whose events follow the ack on the user's stream."
  }),
  start_agent: request(runStart),
  agent_request: request(runStart),
  stop_agent: request({
    payload: StopAgent,
    success: RunStopped,
    errors: ["NOT_FOUND"],
    description: "Stops one of the user's runs; `stopped: true` when it was still going (it then ends `cancelled`)."
  }),
  typing: request({
    payload: Typing,
    success: EmptyResult,
    description: "Relays `typing` to the user's other connections."
  }),
  batch: request({
    payload: Batch,
    success: BatchResult,
    description: "1-100 frames processed in order, answered only in the batch's ack (no nested batch)."
  }),
  resume: request({
    payload: Resume,
    success: ResumeResult,
    description: "Replays, in order, every stream event after `last_seq` still held, then acks."
  }),
  quality_metrics: request({
    payload: QualityMetricsRequest,
    success: QualityMetrics,
    description: "The quality of the user's agent runs."
  }),
  quality_validation: request({
    payload: QualityValidationRequest,
    success: ValidationResult,
    description: "Checks an AI response text against the service's rules."
  }),
  quality_report: request({
    payload: QualityReportRequest,
    success: QualityReport,
    description: "A report of the user's runs in a period."
  }),
  quality_alert: request({
    payload: QualityAlertRequest,
    success: AlertSubscribed,
    description: "Subscribes to (or unsubscribes from) `quality_alert` events on the user's stream."
  }),
  error: request({
    payload: ClientErrorReport,
    success: EmptyResult,
    description: "A client-side error report: logged (within a budget) and counted."
  }),
  disconnect: request({
    payload: EmptyPayload,
    success: EmptyResult,
    description: "Acked, then the server closes the connection with 1000."
  })
} as const

/** A built-in request type. */
export type ClientRequestType = keyof typeof ClientRequests

/** The payload a request of `type` sends (its schema's Encoded type). */
export type RequestPayload<T extends ClientRequestType> = typeof ClientRequests[T]["payload"]["Encoded"]

/** The result an `ack` of `type` carries (its schema's Type). */
export type RequestResult<T extends ClientRequestType> = typeof ClientRequests[T]["success"]["Type"]
