/**
 * Switchyard's public API, for embedding its layers in another Effect app
 * and adding handlers of your own.
 */
export * as Switchyard from "./Switchyard.js"
export * as SwitchyardConfig from "./Config.js"
export type { Overrides as SettingsOverrides, Settings } from "./Config.js"
export { AgentSettings } from "./agent/AgentSettings.js"
export { HandlerSettings } from "./handlers/HandlerSettings.js"
export { MigrationSettings } from "./migration/MigrationSettings.js"
export { RateLimitSettings } from "./resilience/RateLimitSettings.js"
export { ConversationSettings } from "./state/ConversationSettings.js"
export { HistorySettings } from "./state/HistorySettings.js"
export { SessionSettings } from "./state/SessionSettings.js"
export { DedupeSettings } from "./store/DedupeSettings.js"
export { ServerSettings } from "./transport/ServerSettings.js"
export { TransportSettings } from "./transport/TransportSettings.js"
export * as Handler from "./handlers/Handler.js"
export { DuplicateHandlerError, Router } from "./pipeline/Router.js"
export { Dispatcher, type Outcome } from "./pipeline/Dispatcher.js"
export * as Middleware from "./pipeline/Middleware.js"
export { Dispatch, type Dispatched } from "./handlers/Dispatch.js"
export {
  CurrentClient,
  CurrentFrame,
  type FrameProvided,
  FrameTicket,
  type UserServices,
  withFrame
} from "./handlers/FrameContext.js"
export { startRun } from "./handlers/Chat.js"
export { BuiltinHandlers } from "./handlers/index.js"
export * as Handlers from "./handlers/index.js"
export { Agent, AgentError, type AgentEvent, type AgentRequest } from "./agent/Agent.js"
export * as BuiltinAgent from "./agent/BuiltinAgent.js"
export * as AgentLive from "./agent/AgentLive.js"
export * as OpenAiAgent from "./agent/OpenAiAgent.js"
export * as ModelAgent from "./agent/ModelAgent.js"
export * as ModelStream from "./agent/ModelStream.js"
export * as ChatCompletions from "./agent/openai/ChatCompletions.js"
export * as Tool from "./agent/Tool.js"
export type { RunRecord, RunStatus } from "./agent/RunRecord.js"
export { type UserSession, UserSessions } from "./state/UserSessions.js"
export { CurrentUser } from "./state/CurrentUser.js"
export { CurrentStream, type StreamService } from "./state/CurrentStream.js"
export { RunRegistry, Runs, type RunStart } from "./agent/Runs.js"
export { AlertSubscription, QualityAlertSubscription } from "./agent/quality/AlertSubscription.js"
export { ConversationMemory, type ConversationTurn, Conversations } from "./state/Conversations.js"
export * as Emitter from "./state/Emitter.js"
export { FrameError } from "./protocol/FrameError.js"
export { CloseCode, ErrorCode } from "./protocol/ErrorCode.js"
export * as ClientFrame from "./protocol/ClientFrame.js"
export * as ServerFrame from "./protocol/ServerFrame.js"
export * as Payloads from "./protocol/Payloads.js"
// the wire contract as Schemas (what clients decode with, what docs/asyncapi.json is generated from)
export {
  BuiltinServerEvent,
  decodeServerEvent,
  isBuiltinServerEvent,
  ServerEvent,
  type ServerEventOf,
  ServerEvents,
  type ServerEventType
} from "./protocol/ServerEvent.js"
export {
  type AnyClientRequest,
  type ClientRequest,
  ClientRequests,
  type ClientRequestType,
  COMMON_ERRORS,
  type RequestPayload,
  type RequestResult
} from "./protocol/ClientRequests.js"
export { StreamEvent, type StreamEventOf } from "./protocol/StreamEvents.js"
export * as AgentEvents from "./protocol/AgentEvents.js"
export * as Notices from "./protocol/Notices.js"
export * as Replies from "./protocol/Replies.js"
export * as Results from "./protocol/Results.js"
export * as QualitySchemas from "./protocol/Quality.js"
export * as ExtensionEvent from "./protocol/ExtensionEvent.js"
export * as ServerEnvelope from "./protocol/ServerEnvelope.js"
export * as Jwt from "./transport/Jwt.js"
export * as Migration from "./migration/Migration.js"
export { type ControlSettings, MigrationControl } from "./migration/MigrationControl.js"
export * as Legacy from "./migration/Legacy.js"
export * as HttpLegacy from "./migration/HttpLegacy.js"
export * as Stage from "./migration/Stage.js"
export * as Canary from "./migration/Canary.js"
export * as Compare from "./migration/Compare.js"
export * as Resilience from "./resilience/Resilience.js"
export * as CircuitBreaker from "./resilience/CircuitBreaker.js"
// the store seam: implement these to run Switchyard on another backend (test/store has their conformance suites)
export { Backplane, type PendingEvent, type StreamListener, type StreamPosition } from "./store/Backplane.js"
export { HistoryStore, type HistorySlice } from "./store/HistoryStore.js"
export { type StageChange, StageStore, type StoredStage } from "./store/StageStore.js"
export { type Claim, DedupeStore, DedupeStoreError, type SharedWaits } from "./store/DedupeStore.js"
export * as MemoryStreams from "./store/MemoryStreams.js"
export * as MemoryStageStore from "./store/MemoryStageStore.js"
export * as MemoryDedupeStore from "./store/MemoryDedupeStore.js"
