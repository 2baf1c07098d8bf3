import { Context, Data, Effect, Layer } from "effect"
import type { AnyHandler, Requirements } from "../handlers/Handler.js"

/** Two handlers claim one message type: the router's Layer fails to build. */
export class DuplicateHandlerError extends Data.TaggedError("DuplicateHandlerError")<{
  readonly type: string
  readonly first: string
  readonly second: string
}> {
  override get message(): string {
    return `two handlers claim the message type "${this.type}": "${this.first}" and "${this.second}"`
  }
}

/**
 * The canonical router: message type → the one handler that serves it, plus
 * the services those handlers need, captured when the Layer was built.
 */
export class Router extends Context.Tag("switchyard/Router")<Router, {
  readonly lookup: (type: string) => AnyHandler | undefined
  /** every claimed type, aliases included */
  readonly types: ReadonlyArray<string>
  /** the services the handlers required (a per-connection context is built on it) */
  readonly context: Context.Context<never>
}>() {}

/**
 * Composes handlers into the router Layer. It requires what the handlers
 * require and fails with `DuplicateHandlerError` when two claim one type or alias.
 */
export const layer = <const Handlers extends ReadonlyArray<AnyHandler>>(
  handlers: Handlers
): Layer.Layer<Router, DuplicateHandlerError, Requirements<Handlers[number]>> =>
  Layer.effect(
    Router,
    Effect.gen(function*() {
      const table = new Map<string, AnyHandler>()
      for (const handler of handlers) {
        for (const type of [handler.type, ...handler.aliases]) {
          const first = table.get(type)
          if (first !== undefined) {
            return yield* new DuplicateHandlerError({ type, first: first.type, second: handler.type })
          }
          table.set(type, handler)
        }
      }
      const context = yield* Effect.context<Requirements<Handlers[number]>>()
      return {
        lookup: (type: string) => table.get(type),
        types: Array.from(table.keys()),
        context: context as Context.Context<never>
      }
    })
  )
