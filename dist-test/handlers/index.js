import { startAgent, stopAgent, userMessage } from "./Chat.js";
import { batch } from "./Batch.js";
import { clientError, disconnect, ping } from "./Control.js";
import { qualityAlert, qualityMetrics, qualityReport, qualityValidation } from "./Quality.js";
import { resume } from "./Resume.js";
import { typing } from "./Typing.js";
const BuiltinHandlers = [
  ping,
  userMessage,
  startAgent,
  stopAgent,
  typing,
  batch,
  resume,
  clientError,
  disconnect,
  qualityMetrics,
  qualityValidation,
  qualityReport,
  qualityAlert
];
export {
  BuiltinHandlers,
  batch,
  clientError,
  disconnect,
  ping,
  qualityAlert,
  qualityMetrics,
  qualityReport,
  qualityValidation,
  resume,
  startAgent,
  stopAgent,
  typing,
  userMessage
};
//# sourceMappingURL=index.js.map
