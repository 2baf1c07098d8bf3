/**
 * A tool an agent can call: a name, a description for the model, a schema for
 * its JSON input and an Effect that runs it. Import as a namespace:
 * `import * as Tool from "./Tool.js"`.
 */
import { Effect, Either, JSONSchema, Option, ParseResult, Schema } from "effect"

/**
 * The one error a tool call fails with, whatever went wrong inside the tool
 * (bad input, unknown tool, the tool's own domain error). It crosses the wire,
 * so it is a schema class.
 */
export class ToolError extends Schema.TaggedError<ToolError>()("ToolError", {
  tool: Schema.String,
  message: Schema.String
}) {}

/**
 * The shape of a tool's encoded (JSON) input: tools take a JSON object.
 */
export type JsonObject = Readonly<Record<string, unknown>>

/**
 * A tool with its input and output types erased, so tools of different types
 * can live in one `Toolkit` (`Schema` is invariant in its types, so a typed
 * `Tool` cannot be widened through its `input` field).
 */
export interface Any {
  readonly name: string
  readonly description: string
  /** JSON Schema of the input, to describe the tool to a model */
  readonly parameters: JSONSchema.JsonSchema7Root
  /** decodes `input` with the tool's schema (failing with `ToolError`), then runs it */
  readonly runUnknown: (input: unknown) => Effect.Effect<unknown, ToolError>
}

/**
 * A typed tool. `E` is the encoded (JSON) form of the input `I`.
 */
export interface Tool<I, O, E extends JsonObject = JsonObject> extends Any {
  readonly input: Schema.Schema<I, E>
  readonly run: (input: I) => Effect.Effect<O, ToolError>
  readonly runUnknown: (input: unknown) => Effect.Effect<O, ToolError>
}

/**
 * Declares a tool. The input schema must not need services nor transform
 * asynchronously, so a tool can be called from anywhere.
 */
export const make = <I, E extends JsonObject, O>(options: {
  readonly name: string
  readonly description: string
  readonly input: Schema.Schema<I, E>
  readonly run: (input: I) => Effect.Effect<O, ToolError>
}): Tool<I, O, E> => {
  const { description, input, name } = options
  // a tool input is a plain JSON schema (no services, no async transformations): decoded in place
  const decode = Schema.decodeUnknownEither(input)
  // the call site of the span is always this line: capturing it would only cost an Error per call
  const spanOptions = { attributes: { "tool.name": name }, captureStackTrace: false }
  const run = (value: I): Effect.Effect<O, ToolError> => Effect.withSpan(options.run(value), "Tool.run", spanOptions)
  const runUnknown = (raw: unknown): Effect.Effect<O, ToolError> =>
    Effect.suspend(() => {
      const decoded = decode(raw)
      return Either.isRight(decoded)
        ? run(decoded.right)
        : Effect.fail(
          new ToolError({
            tool: name,
            message: cut(`invalid input: ${ParseResult.TreeFormatter.formatErrorSync(decoded.left)}`)
          })
        )
    })
  return { name, description, input, parameters: JSONSchema.make(input), run, runUnknown }
}

// a decode failure quotes the input it got, which can be long: only its start goes into events
const MAX_MESSAGE_LENGTH = 300
const cut = (message: string): string =>
  message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH - 3)}...` : message

/**
 * A set of tools looked up by name, e.g. to run the tool a model asked for.
 */
export interface Toolkit {
  readonly tools: ReadonlyArray<Any>
  readonly get: (name: string) => Option.Option<Any>
  /** runs the tool `name` on untrusted JSON input; an unknown name is a `ToolError` */
  readonly runUnknown: (name: string, input: unknown) => Effect.Effect<unknown, ToolError>
}

/**
 * Builds a `Toolkit`. Two tools with one name are a programming error, so this
 * throws at startup rather than letting one tool silently shadow the other.
 */
export const toolkit = (...tools: ReadonlyArray<Any>): Toolkit => {
  // a Map, not an object: a model-chosen name like "__proto__" must not hit the prototype
  const byName = new Map<string, Any>()
  for (const tool of tools) {
    if (byName.has(tool.name)) {
      throw new Error(`Toolkit: duplicate tool name "${tool.name}"`)
    }
    byName.set(tool.name, tool)
  }
  const get = (name: string): Option.Option<Any> => Option.fromNullable(byName.get(name))
  const runUnknown = (name: string, input: unknown): Effect.Effect<unknown, ToolError> => {
    const tool = byName.get(name)
    return tool === undefined
      ? Effect.fail(new ToolError({ tool: name, message: `unknown tool "${name}"` }))
      : tool.runUnknown(input)
  }
  return { tools: [...byName.values()], get, runUnknown }
}
