import { Effect, Either, Schema } from "effect"
import { toFrameError } from "../protocol/DecodeFailure.js"
import { encoderOf } from "../protocol/Encoder.js"
import type { ErrorCode } from "../protocol/ErrorCode.js"
import type { FrameError } from "../protocol/FrameError.js"
import type { FrameProvided } from "./FrameContext.js"

/**
 * A handler: the Effect program that serves one client message `type` (and
 * its aliases), with the Schemas its payload is decoded by and its result
 * encoded by (the `ack`'s `result`), and the error codes it answers with —
 * declared as `@effect/rpc`'s `Rpc.make` declares a procedure. `R` are the
 * services it uses, and only those: the per-user and per-client ones
 * (`FrameProvided`) are provided to each frame; the router's Layer requires
 * the rest (`Requirements`).
 */
export interface Handler<out R = never> {
  /** the message type it claims */
  readonly type: string
  /** other types it also claims: aliases (`start_agent` also answers `agent_request`) */
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
   * its result when it succeeds, as its `ack` carries it, if that is always
   * the same object and known before it runs (`typing`: `{}`), with `check`:
   * the dedupe step then records a new id as done in the one store call
   * that claims it — a retry is still answered `duplicate` (PROTOCOL §5),
   * for half the work of a claim and a completion. Only for a handler that
   * cannot fail once its payload decodes: the id is done before it runs, so
   * a retry racing a failure would be told `duplicate` of it.
   */
  readonly fixedResult?: object | undefined
  /** decodes the raw payload only: the error a `run` would fail with before doing anything, if any */
  readonly check?: ((payload: unknown) => FrameError | undefined) | undefined
  /** what its payload is decoded by */
  readonly payload: Schema.Schema.AnyNoContext
  /** what its result is encoded by: the `result` of its `ack` */
  readonly success: Schema.Schema.AnyNoContext
  /** the error codes it answers with, besides those any frame may get (`ClientRequests.COMMON_ERRORS`) */
  readonly errors: ReadonlyArray<ErrorCode>
  /** decodes the raw payload, runs the handler and encodes its result */
  readonly run: (payload: unknown) => Effect.Effect<object, FrameError, R>
}

/** Any handler, whatever it requires. */
export type AnyHandler = Handler<unknown>

/** The services a handler uses. */
export type Uses<H> = H extends Handler<infer R> ? R : never

/** The services a handler requires of the router's Layer: what it uses beyond what each frame is given. */
export type Requirements<H> = Exclude<Uses<H>, FrameProvided>

/**
 * Declares a handler: its payload schema, its success schema (the `ack`'s
 * `result`: `handle` must return that schema's Type, which tsc checks), the
 * error codes it answers with, and the program. The built-in handlers spread
 * their protocol declaration (`...ClientRequests.user_message`) into it.
 *
 * ```ts
 * const shout = Handler.make("shout", {
 *   payload: Schema.Struct({ text: Schema.String }),
 *   success: Schema.Struct({ text: Schema.String }),
 *   handle: ({ text }) => Effect.succeed({ text: text.toUpperCase() })
 * })
 * ```
 *
 * Results are encoded through `success` only when encoding changes
 * something (a transformation somewhere in it); for the plain structs of the
 * protocol tsc's check is the guarantee and the result goes out as it is,
 * so that the frame path pays nothing for it (see `Encoder.encoderOf`).
 */
export const make = <A, I, S, SI, R = never>(
  type: string,
  options: {
    readonly payload: Schema.Schema<A, I, never>
    readonly success: Schema.Schema<S, SI, never>
    readonly errors?: ReadonlyArray<ErrorCode> | undefined
    readonly handle: (payload: A) => Effect.Effect<NoInfer<S>, FrameError, R>
    readonly aliases?: ReadonlyArray<string> | undefined
    readonly reply?: "ack" | "pong" | undefined
    readonly batchable?: boolean | undefined
    /** the handler's result whenever it succeeds, if always the same, as its ack carries it (see `Handler.fixedResult`) */
    readonly fixedResult?: object | undefined
  }
): Handler<R> => {
  // compiled once: decoding is on every frame's path
  const decode = Schema.decodeUnknownEither(options.payload)
  const encode = encoderOf(options.success)
  const handle: (payload: A) => Effect.Effect<unknown, FrameError, R> = encode === undefined
    ? options.handle
    : (payload) =>
      Effect.flatMap(options.handle(payload), (result) => {
        const encoded = encode(result)
        // the handler's type said it returns the schema's Type: a value that does not encode is a bug
        return Either.isRight(encoded)
          ? Effect.succeed(encoded.right)
          : Effect.die(new Error(`the result of "${type}" does not encode: ${encoded.left.message}`))
      })
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
    payload: options.payload,
    success: options.success,
    errors: options.errors ?? [],
    run: (payload) => {
      const decoded = decode(payload)
      // an ack's result is a JSON value its success schema encodes to (`object` for the frame path's sake)
      return Either.isLeft(decoded)
        ? Effect.fail(toFrameError(decoded.left, ["payload"]))
        : handle(decoded.right) as Effect.Effect<object, FrameError, R>
    }
  }
}
