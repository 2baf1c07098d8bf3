import type { Effect } from "effect"
import type { Outcome } from "../handlers/Dispatch.js"
import type { FrameProvided } from "../handlers/FrameContext.js"
import type { AnyHandler } from "../handlers/Handler.js"
import type { ClientFrame } from "../protocol/ClientFrame.js"

/**
 * Middleware of the frame path: the cross-cutting steps around a handler
 * (dedupe, metrics, timing), in the spirit of `@effect/rpc`'s `RpcMiddleware`.
 * Unlike an RPC server, which applies its middleware per request, the chain
 * here is composed ONCE per route when the `Dispatcher` is built: a frame
 * only calls what was composed for its type, and a middleware that does not
 * apply to a route (dedupe for `ping`, timing for a handler that times
 * itself) is simply absent from that route's chain.
 *
 * Two kinds:
 * - a `Wrap` receives the route and `next` and returns the route's step: it
 *   may run code around `next`, or answer without calling it (dedupe answers
 *   a duplicate with the first result). Wraps apply to every frame, those a
 *   `batch` carries too;
 * - an `Observe` only watches outcomes, synchronously: the frame path calls
 *   the route's observers in the step that sends the reply, so watching costs
 *   no Effect per frame. Observers see frames from the socket (a batch's
 *   inner frames are part of their batch), from outside all wraps: the whole
 *   outcome, and the time since the frame entered the chain.
 */

/** Runs one decoded frame of a route to its outcome; never fails. */
export type Step = (frame: ClientFrame) => Effect.Effect<Outcome, never, FrameProvided>

/** What a middleware knows of the route it is composed into. */
export interface Route {
  /** the frame type as a bounded label: the type (or alias) claimed, `unknown` for a type no handler claims */
  readonly type: string
  /** the handler with its declared properties; `undefined` on the unknown route (answered `UNKNOWN_TYPE`) */
  readonly handler: AnyHandler | undefined
}

/**
 * Watches one answered frame: its outcome, and `performance.now()` taken as
 * it entered the chain. Must not throw and must not block.
 */
export type Observer = (outcome: Outcome, startedAt: number) => void

/** Wraps a route's step (built once per route). */
export interface Wrap {
  readonly _tag: "Wrap"
  readonly wrap: (route: Route, next: Step) => Step
}

/** Watches a route's outcomes; `undefined` leaves the route unwatched (built once per route). */
export interface Observe {
  readonly _tag: "Observe"
  readonly observe: (route: Route) => Observer | undefined
}

/** A step of the frame path around the handler. */
export type Middleware = Wrap | Observe

/** A middleware that wraps the step below it (return `next` itself to leave a route alone). */
export const wrap = (f: (route: Route, next: Step) => Step): Wrap => ({ _tag: "Wrap", wrap: f })

/** A middleware that watches outcomes, synchronously. */
export const observe = (f: (route: Route) => Observer | undefined): Observe => ({ _tag: "Observe", observe: f })

/** A route with its chain composed: what the frame path calls. */
export interface ComposedRoute extends Route {
  /** the wraps around the handler, outermost first */
  readonly run: Step
  /** the observers, in their order; called by the frame path once a frame from the socket is answered */
  readonly observe: Observer
}

const unobserved: Observer = () => {}

/**
 * Composes `chain` (outermost first) around `handle`, the route's own step.
 * Observers are listed with the wraps but always watch from outside them;
 * their order among themselves is kept.
 */
export const compose = (chain: ReadonlyArray<Middleware>, route: Route, handle: Step): ComposedRoute => {
  let run = handle
  for (let i = chain.length - 1; i >= 0; i--) {
    const middleware = chain[i]!
    if (middleware._tag === "Wrap") run = middleware.wrap(route, run)
  }
  const observers: Array<Observer> = []
  for (const middleware of chain) {
    if (middleware._tag !== "Observe") continue
    const observer = middleware.observe(route)
    if (observer !== undefined) observers.push(observer)
  }
  return { type: route.type, handler: route.handler, run, observe: fuse(observers) }
}

// one call per answered frame, whatever the number of observers
const fuse = (observers: ReadonlyArray<Observer>): Observer => {
  if (observers.length === 0) return unobserved
  if (observers.length === 1) return observers[0]!
  if (observers.length === 2) {
    const [first, second] = observers as [Observer, Observer]
    return (outcome, startedAt) => {
      first(outcome, startedAt)
      second(outcome, startedAt)
    }
  }
  return (outcome, startedAt) => {
    for (const observer of observers) observer(outcome, startedAt)
  }
}
