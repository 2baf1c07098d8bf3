import { Effect, JSONSchema, Option, ParseResult, Schema } from "effect";
class ToolError extends Schema.TaggedError()("ToolError", {
  tool: Schema.String,
  message: Schema.String
}) {
}
const make = (options) => {
  const { description, input, name } = options;
  const decode = Schema.decodeUnknown(input);
  const run = (value) => options.run(value).pipe(Effect.withSpan("Tool.run", { attributes: { "tool.name": name } }));
  const runUnknown = (raw) => decode(raw).pipe(
    Effect.mapError(
      (error) => new ToolError({
        tool: name,
        message: `invalid input: ${ParseResult.TreeFormatter.formatErrorSync(error)}`
      })
    ),
    Effect.flatMap(run)
  );
  return { name, description, input, parameters: JSONSchema.make(input), run, runUnknown };
};
const toolkit = (...tools) => {
  const byName = /* @__PURE__ */ new Map();
  for (const tool of tools) {
    if (byName.has(tool.name)) {
      throw new Error(`Toolkit: duplicate tool name "${tool.name}"`);
    }
    byName.set(tool.name, tool);
  }
  const get = (name) => Option.fromNullable(byName.get(name));
  const runUnknown = (name, input) => {
    const tool = byName.get(name);
    return tool === void 0 ? Effect.fail(new ToolError({ tool: name, message: `unknown tool "${name}"` })) : tool.runUnknown(input);
  };
  return { tools: [...byName.values()], get, runUnknown };
};
export {
  ToolError,
  make,
  toolkit
};
//# sourceMappingURL=Tool.js.map
