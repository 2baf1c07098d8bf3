import * as Switchyard from "./Switchyard.js";
import { SwitchyardConfig } from "./Config.js";
import * as Handler from "./router/Handler.js";
import { DuplicateHandlerError, Router } from "./router/Router.js";
import { Dispatcher } from "./router/Dispatcher.js";
import { CurrentConnection, CurrentFrame } from "./router/FrameContext.js";
import { BuiltinHandlers } from "./handlers/index.js";
import * as Handlers from "./handlers/index.js";
import { Agent, AgentError } from "./agent/Agent.js";
import * as BuiltinAgent from "./agent/BuiltinAgent.js";
import * as AgentLive from "./agent/AgentLive.js";
import * as ModelAgent from "./agent/ModelAgent.js";
import * as ChatCompletions from "./agent/openai/ChatCompletions.js";
import * as Tool from "./agent/Tool.js";
import { UserContext, UserSessions } from "./session/UserContext.js";
import { Conversations } from "./session/Conversations.js";
import * as Emitter from "./session/Emitter.js";
import { FrameError } from "./protocol/FrameError.js";
import { CloseCode, ErrorCode } from "./protocol/ErrorCode.js";
import * as ClientFrame from "./protocol/ClientFrame.js";
import * as ServerFrame from "./protocol/ServerFrame.js";
import * as Payloads from "./protocol/Payloads.js";
import * as Jwt from "./http/Jwt.js";
import * as Migration from "./migration/Migration.js";
import { MigrationControl } from "./migration/MigrationControl.js";
import * as Legacy from "./migration/Legacy.js";
import * as HttpLegacy from "./migration/HttpLegacy.js";
import * as Stage from "./migration/Stage.js";
import * as Canary from "./migration/Canary.js";
import * as Compare from "./migration/Compare.js";
import * as Resilience from "./migration/Resilience.js";
import * as CircuitBreaker from "./router/CircuitBreaker.js";
export {
  Agent,
  AgentError,
  AgentLive,
  BuiltinAgent,
  BuiltinHandlers,
  Canary,
  ChatCompletions,
  CircuitBreaker,
  ClientFrame,
  CloseCode,
  Compare,
  Conversations,
  CurrentConnection,
  CurrentFrame,
  Dispatcher,
  DuplicateHandlerError,
  Emitter,
  ErrorCode,
  FrameError,
  Handler,
  Handlers,
  HttpLegacy,
  Jwt,
  Legacy,
  Migration,
  MigrationControl,
  ModelAgent,
  Payloads,
  Resilience,
  Router,
  ServerFrame,
  Stage,
  Switchyard,
  SwitchyardConfig,
  Tool,
  UserContext,
  UserSessions
};
//# sourceMappingURL=index.js.map
