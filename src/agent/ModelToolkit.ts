/**
 * The agent's tools (src/agent/tools, declared once with their schemas) as an
 * `@effect/ai` toolkit, so a `LanguageModel` can describe them to the model.
 * Import as a namespace: `import * as ModelToolkit from "./ModelToolkit.js"`.
 */
import * as AiTool from "@effect/ai/Tool"
import type * as AiToolkit from "@effect/ai/Toolkit"
import { Effect, Either, Schema } from "effect"
import * as Tool from "./Tool.js"

/**
 * The parameters every converted tool declares, an arbitrary JSON object, described to
 * the model with the tool's own JSON Schema. Decoding stays with the tool
 * (`Tool.runUnknown`), so arguments of the wrong shape reach the tool and end
 * as its `ToolError` (a `tool_completed {ok: false}`), instead of failing the
 * model's stream before the call is even reported.
 */
const parametersOf = (tool: Tool.Any) => {
  // `$schema` is noise in a function declaration, and some servers reject it
  const { $schema: _, ...jsonSchema } = tool.parameters
  return Schema.Struct({}, Schema.Record({ key: Schema.String, value: Schema.Unknown })).annotations({
    jsonSchema
  })
}

/** One of our tools as the model sees it. */
export type ModelTool = AiTool.Tool<string, {
  readonly parameters: ReturnType<typeof parametersOf>
  readonly success: typeof Schema.Unknown
  readonly failure: typeof Tool.ToolError
  readonly failureMode: "return"
}>

/** A toolkit whose handlers run our tools. */
export type ModelToolkit = AiToolkit.WithHandler<Record<string, ModelTool>>

/**
 * Converts a `Tool.Toolkit` into an `@effect/ai` toolkit with handlers. The
 * agent resolves tool calls itself (to report each call as it runs), but the
 * handlers make the toolkit complete for any other use of the model.
 */
export const fromToolkit = (toolkit: Tool.Toolkit): ModelToolkit => {
  const tools: Record<string, ModelTool> = {}
  for (const tool of toolkit.tools) {
    tools[tool.name] = AiTool.make(tool.name, {
      description: tool.description,
      success: Schema.Unknown,
      failure: Tool.ToolError,
      failureMode: "return"
    }).setParameters(parametersOf(tool))
  }
  return {
    tools,
    handle: (name, params) =>
      Effect.map(Effect.either(toolkit.runUnknown(name, params)), (result) =>
        Either.match(result, {
          onLeft: (error) => ({ isFailure: true, result: error, encodedResult: { error: error.message } }),
          onRight: (output) => ({ isFailure: false, result: output, encodedResult: output })
        }))
  }
}
