import { Context, Schema } from "effect";
class AgentError extends Schema.TaggedError()("AgentError", {
  code: Schema.String,
  message: Schema.String
}) {
}
class Agent extends Context.Tag("switchyard/Agent")() {
}
export {
  Agent,
  AgentError
};
//# sourceMappingURL=Agent.js.map
