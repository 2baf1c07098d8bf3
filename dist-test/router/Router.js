import { Context, Data, Effect, Layer } from "effect";
class DuplicateHandlerError extends Data.TaggedError("DuplicateHandlerError") {
  get message() {
    return `two handlers claim the message type "${this.type}": "${this.first}" and "${this.second}"`;
  }
}
class Router extends Context.Tag("switchyard/Router")() {
}
const layer = (handlers) => Layer.effect(
  Router,
  Effect.gen(function* () {
    const table = /* @__PURE__ */ new Map();
    for (const handler of handlers) {
      for (const type of [handler.type, ...handler.aliases]) {
        const first = table.get(type);
        if (first !== void 0) {
          return yield* new DuplicateHandlerError({ type, first: first.type, second: handler.type });
        }
        table.set(type, handler);
      }
    }
    const context = yield* Effect.context();
    return {
      lookup: (type) => table.get(type),
      types: Array.from(table.keys()),
      context
    };
  })
);
export {
  DuplicateHandlerError,
  Router,
  layer
};
//# sourceMappingURL=Router.js.map
