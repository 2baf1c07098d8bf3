/**
 * Switchyard's public API, for embedding its layers in another Effect app
 * and adding handlers of your own.
 */
export * as Switchyard from "./Switchyard.js"
export { SwitchyardConfig, type Settings } from "./Config.js"
export * as Handler from "./handlers/Handler.js"
export { DuplicateHandlerError, Router } from "./pipeline/Router.js"
export { Dispatcher, type Outcome } from "./pipeline/Dispatcher.js"
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
export * as Jwt from "./transport/Jwt.js"
export * as Migration from "./migration/Migration.js"
export { MigrationControl, type MigrationSettings } from "./migration/MigrationControl.js"
export * as Legacy from "./migration/Legacy.js"
export * as HttpLegacy from "./migration/HttpLegacy.js"
export * as Stage from "./migration/Stage.js"
export * as Canary from "./migration/Canary.js"
export * as Compare from "./migration/Compare.js"
export * as Resilience from "./resilience/Resilience.js"
export * as CircuitBreaker from "./resilience/CircuitBreaker.js"
