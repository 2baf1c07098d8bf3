import { Cause, Context, Effect, Either, Layer, Option } from "effect"
import { type Dispatch, type Dispatched, type Outcome } from "../handlers/Dispatch.js"
import type { FrameProvided } from "../handlers/FrameContext.js"
import type { AnyHandler } from "../handlers/Handler.js"
import { type ClientFrame, decodeValue } from "../protocol/ClientFrame.js"
import { FrameError } from "../protocol/FrameError.js"
import { DedupeStore } from "../store/DedupeStore.js"
import { dedupe } from "./DedupeMiddleware.js"
import { countOutcomes, timeHandler } from "./MetricsMiddleware.js"
import * as Middleware from "./Middleware.js"
import { Router } from "./Router.js"

export type { Outcome } from "../handlers/Dispatch.js"

/**
 * Routes decoded frames: every type the router claims gets its middleware
 * chain composed around its handler once, when the layer is built, and a
 * frame only looks its route up. Every failure becomes a typed `FrameError`
 * outcome — one bad frame never escapes. Its `dispatch` is what handlers get
 * as `Dispatch`, so that `batch` runs its inner frames the same way.
 */
export class Dispatcher extends Context.Tag("switchyard/Dispatcher")<Dispatcher, {
  /** The composed route of a frame type; a type no handler claims gets the `unknown` route (`UNKNOWN_TYPE`). */
  readonly route: (type: string) => Middleware.ComposedRoute
  /** Runs one decoded frame through its route's wraps and handler (observing is the caller's: `route`). */
  readonly execute: (frame: ClientFrame) => Effect.Effect<Outcome, never, FrameProvided>
  /** The handlers' way back into the pipeline, provided to them per connection. */
  readonly dispatch: Dispatch["Type"]
}>() {
  /**
   * The dispatcher of the router in context with the frame path's middleware,
   * outermost first (observers watch from outside every wrap, in this order):
   *
   * 1. `timeHandler` — the latency histogram, read first: the whole chain
   *    below, the dedupe claim included, unless the handler times itself;
   * 2. `countOutcomes` — frames by type and status, duplicates suppressed;
   * 3. `dedupe` — the id's claim in the `DedupeStore` (shared by all nodes in cluster mode): a duplicate is
   *    answered with the first result, without running the handler.
   */
  static readonly layer: Layer.Layer<Dispatcher, never, Router | DedupeStore> = Layer.unwrapEffect(
    Effect.map(DedupeStore, (store) => Dispatcher.layerWith([timeHandler, countOutcomes, dedupe(store)]))
  )

  /** The dispatcher of the router in context with the given middleware, outermost first. */
  static layerWith(chain: ReadonlyArray<Middleware.Middleware>): Layer.Layer<Dispatcher, never, Router> {
    return Layer.effect(Dispatcher, Effect.map(Router, (router) => make(router, chain)))
  }
}

const make = (router: Router["Type"], chain: ReadonlyArray<Middleware.Middleware>): Dispatcher["Type"] => {
  const routes = new Map<string, Middleware.ComposedRoute>()
  for (const type of router.types) {
    const handler = router.lookup(type)!
    routes.set(type, Middleware.compose(chain, { type, handler }, handle(handler)))
  }
  // label values stay bounded: unclaimed types are `unknown`
  const unknown = Middleware.compose(chain, { type: "unknown", handler: undefined }, unknownType)
  const route = (type: string): Middleware.ComposedRoute => routes.get(type) ?? unknown
  const execute = (frame: ClientFrame) => route(frame.type).run(frame)
  const dispatchValue = (value: unknown): Effect.Effect<Dispatched, never, FrameProvided> => {
    const decoded = decodeValue(value)
    if (Either.isLeft(decoded)) return Effect.succeed({ id: decoded.left.id, outcome: failure(decoded.left.error) })
    const frame = decoded.right
    return Effect.map(execute(frame), (outcome) => ({ id: frame.id, outcome }))
  }
  return {
    route,
    execute,
    dispatch: {
      batchable: (type) => router.lookup(type)?.batchable ?? true,
      // a handler calls it from its frame's fiber, which holds every frame service
      dispatchValue: dispatchValue as (value: unknown) => Effect.Effect<Dispatched>
    }
  }
}

const failure = (error: FrameError): Outcome => ({ status: "error", error })

const unknownType: Middleware.Step = (frame) =>
  Effect.succeed(failure(
    new FrameError({
      code: "UNKNOWN_TYPE",
      message: `no handler for message type "${frame.type}"`,
      details: { type: frame.type }
    })
  ))

const interrupted = failure(new FrameError({ code: "UNAVAILABLE", message: "the handler was interrupted" }))
const internal = failure(new FrameError({ code: "INTERNAL", message: "internal error" }))

/** The innermost step of a route: its handler, every exit turned into an outcome (built once per route). */
const handle = (handler: AnyHandler): Middleware.Step => {
  const reply = handler.reply
  const outcomes = {
    onSuccess: (result: object) => Effect.succeed<Outcome>({ status: "ok", result, reply }),
    onFailure: (cause: Cause.Cause<FrameError>): Effect.Effect<Outcome> => {
      const failed = Cause.failureOption(cause)
      if (Option.isSome(failed)) return Effect.succeed(failure(failed.value))
      if (Cause.isInterruptedOnly(cause)) return Effect.succeed(interrupted)
      return Effect.as(Effect.logError("handler died", cause), internal)
    }
  }
  // the Router's Layer required every service of its handlers; the connection provides them
  return (frame) =>
    Effect.matchCauseEffect(handler.run(frame.payload) as Effect.Effect<object, FrameError, FrameProvided>, outcomes)
}
