import { startAgent, stopAgent, userMessage } from "./Chat.js"
import { batch } from "./Batch.js"
import { clientError, disconnect, ping } from "./Control.js"
import { qualityAlert, qualityMetrics, qualityReport, qualityValidation } from "./Quality.js"
import { resume } from "./Resume.js"
import { typing } from "./Typing.js"

/** Every built-in handler of PROTOCOL §4, ready for `Router.layer([...BuiltinHandlers, ...yours])`. */
export const BuiltinHandlers = [
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
] as const

export { batch, clientError, disconnect, ping, resume, startAgent, stopAgent, typing, userMessage }
export { qualityAlert, qualityMetrics, qualityReport, qualityValidation }
