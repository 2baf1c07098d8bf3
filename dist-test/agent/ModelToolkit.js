import * as AiTool from "@effect/ai/Tool";
import { Effect, Either, Schema } from "effect";
import * as Tool from "./Tool.js";
const parametersOf = (tool) => {
  const { $schema: _, ...jsonSchema } = tool.parameters;
  return Schema.Struct({}, Schema.Record({ key: Schema.String, value: Schema.Unknown })).annotations({
    jsonSchema
  });
};
const fromToolkit = (toolkit) => {
  const tools = {};
  for (const tool of toolkit.tools) {
    tools[tool.name] = AiTool.make(tool.name, {
      description: tool.description,
      success: Schema.Unknown,
      failure: Tool.ToolError,
      failureMode: "return"
    }).setParameters(parametersOf(tool));
  }
  return {
    tools,
    handle: (name, params) => Effect.map(Effect.either(toolkit.runUnknown(name, params)), (result) => Either.match(result, {
      onLeft: (error) => ({ isFailure: true, result: error, encodedResult: { error: error.message } }),
      onRight: (output) => ({ isFailure: false, result: output, encodedResult: output })
    }))
  };
};
export {
  fromToolkit
};
//# sourceMappingURL=ModelToolkit.js.map
