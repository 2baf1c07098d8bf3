/**
 * Switchyard's public API, for embedding its layers in another Effect app
 * and adding handlers of your own.
 */
export * as Switchyard from "./Switchyard.js"
export { SwitchyardConfig, type Settings } from "./Config.js"
export * as Handler from "./router/Handler.js"
export { DuplicateHandlerError, Router } from "./router/Router.js"
export { Dispatcher, type Outcome } from "./router/Dispatcher.js"
export { CurrentConnection, CurrentFrame, type FrameServices } from "./router/FrameContext.js"
export { BuiltinHandlers } from "./handlers/index.js"
export * as Handlers from "./handlers/index.js"
export { Agent, AgentError, type AgentEvent, type AgentRequest } from "./agent/Agent.js"
export * as BuiltinAgent from "./agent/BuiltinAgent.js"
export * as Tool from "./agent/Tool.js"
export type { RunRecord, RunStatus } from "./agent/RunRecord.js"
export { UserContext, UserSessions, type UserSession } from "./session/UserContext.js"
export * as Emitter from "./session/Emitter.js"
export { FrameError } from "./protocol/FrameError.js"
export { CloseCode, ErrorCode } from "./protocol/ErrorCode.js"
export * as ClientFrame from "./protocol/ClientFrame.js"
export * as ServerFrame from "./protocol/ServerFrame.js"
export * as Payloads from "./protocol/Payloads.js"
export * as Jwt from "./http/Jwt.js"
