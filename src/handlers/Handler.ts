import { Effect, Either, Schema } from "effect"
import { toFrameError } from "../protocol/DecodeFailure.js"
import type { FrameError } from "../protocol/FrameError.js"
import type { FrameProvided } from "./FrameContext.js"

/**
 * A handler: the Effect program that serves one client message `type` (and
 * its aliases), with the Schema its payload is decoded by. `R` are the
 * services it uses, and only those: the per-user and per-client ones
 * (`FrameProvided`) are provided to each frame; the router's Layer requires
 * the rest (`Requirements`).
 */
export interface Handler<out R = never> {
  /** the message type it claims */
  readonly type: string
  /** other types it also claims (`start_agent` → `agent_request`) */
  readonly aliases: ReadonlyArray<string>
  /** how a success is answered: an `ack` (the default) or a `pong` */
  readonly reply: "ack" | "pong"
  /** may appear inside a `batch`? (a batch may not) */
  readonly batchable: boolean
  /**
   * records its own latency (a migrating type times each of its sides as
   * `legacy` / `next`): the frame path's timing middleware then leaves it be
   */
  readonly timesItself?: boolean | undefined
  /**
   * its result when it succeeds, if that is always the same object and
   * known before it runs (`typing`: `{}`), with `check`: the dedupe step
   * then records a new id as done in the one store call that claims it —
   * a retry is still answered `duplicate` (PROTOCOL §5), for half the work
   * of a claim and a completion
   */
  readonly fixedResult?: object | undefined
  /** decodes the raw payload only: the error a `run` would fail with before doing anything, if any */
  readonly check?: ((payload: unknown) => FrameError | undefined) | undefined
  /** decodes the raw payload and runs the handler */
  readonly run: (payload: unknown) => Effect.Effect<object, FrameError, R>
}

/** Any handler, whatever it requires. */
export type AnyHandler = Handler<unknown>

/** The services a handler uses. */
export type Uses<H> = H extends Handler<infer R> ? R : never

/** The services a handler requires of the router's Layer: what it uses beyond what each frame is given. */
export type Requirements<H> = Exclude<Uses<H>, FrameProvided>

/**
 * Declares a handler.
 *
 * ```ts
 * const shout = Handler.make("shout", {
 *   payload: Schema.Struct({ text: Schema.String }),
 *   handle: ({ text }) => Effect.succeed({ text: text.toUpperCase() })
 * })
 * ```
 */
export const make = <A, I, R = never>(
  type: string,
  options: {
    readonly payload: Schema.Schema<A, I, never>
    readonly handle: (payload: A) => Effect.Effect<object, FrameError, R>
    readonly aliases?: ReadonlyArray<string> | undefined
    readonly reply?: "ack" | "pong" | undefined
    readonly batchable?: boolean | undefined
    /** the handler's result whenever it succeeds, if always the same (see `Handler.fixedResult`) */
    readonly fixedResult?: object | undefined
  }
): Handler<R> => {
  // compiled once: decoding is on every frame's path
  const decode = Schema.decodeUnknownEither(options.payload)
  return {
    type,
    aliases: options.aliases ?? [],
    reply: options.reply ?? "ack",
    batchable: options.batchable ?? true,
    fixedResult: options.fixedResult,
    check: options.fixedResult === undefined ? undefined : (payload) => {
      const decoded = decode(payload)
      return Either.isLeft(decoded) ? toFrameError(decoded.left, ["payload"]) : undefined
    },
    run: (payload) => {
      const decoded = decode(payload)
      return Either.isLeft(decoded) ? Effect.fail(toFrameError(decoded.left, ["payload"])) : options.handle(decoded.right)
    }
  }
}
