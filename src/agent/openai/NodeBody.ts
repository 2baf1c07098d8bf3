/**
 * Reading a Node `Readable` (an HTTP body, `UndiciClient.takeBody`) a read at
 * a time: one `Effect.async` per read, with no stream or channel between the
 * body and its reader — each stage cost every read a trip through the
 * channel executor. What the buffers mean is the reader's (`ChatStream`).
 * Import as a namespace: `import * as NodeBody from "./NodeBody.js"`.
 */
import { Effect } from "effect"
import type { Readable } from "node:stream"

/** What `forEachBuffer` hands a body's reads to. */
export interface BufferReader<E, R> {
  /** The buffers of one read, in order; `undefined`: nothing to do, read on. */
  readonly read: (buffers: Array<Uint8Array>) => Effect.Effect<void, E, R> | undefined
  /** The body ended (not called when the reader was `done` before). */
  readonly end: () => Effect.Effect<void, E, R>
  /** The reader wants no more: looked at as soon as `read` returns; its effect is the last one run. */
  readonly done: boolean
}

/** What a read of the body gave: its buffers, its end, or its error. */
type Read = Array<Uint8Array> | "end" | { readonly failed: unknown }

/**
 * Reads `body` to its end, or until `reader` is done or fails, a read's
 * effect finishing before the next read. The body's errors fail it with
 * `onError`'s. Stopping before the body's end (the reader done, a failure,
 * an interruption) destroys the body: for an HTTP body, that aborts the request.
 */
export const forEachBuffer = <E, E2, R>(
  body: Readable,
  onError: (cause: unknown) => E,
  reader: BufferReader<E2, R>
): Effect.Effect<void, E | E2, R> =>
  Effect.suspend(() => {
    let failure: { readonly failed: unknown } | undefined
    let wake: (() => void) | undefined
    const onSignal = (): void => wake?.()
    const onFailure = (cause: unknown): void => {
      failure = { failed: cause }
      wake?.()
    }
    body.on("readable", onSignal)
    body.on("end", onSignal)
    body.on("error", onFailure)
    body.on("close", onSignal)
    // everything readable now (`read()` until null, so that the stream signals `readable` again)
    const poll = (): Read | undefined => {
      if (failure !== undefined) return failure
      // errored or destroyed before the reader came (no event of it will come): its state says so
      if (body.errored !== null) return { failed: body.errored }
      const buffers: Array<Uint8Array> = []
      let item: Uint8Array | null
      while ((item = body.read() as Uint8Array | null) !== null) buffers.push(item)
      if (buffers.length > 0) return buffers
      if (body.readableEnded) return "end"
      return body.destroyed ? { failed: new Error("the body was closed before its end") } : undefined
    }
    const settle = (read: Read): Effect.Effect<Array<Uint8Array> | "end", E> =>
      typeof read === "object" && !Array.isArray(read) ? Effect.fail(onError(read.failed)) : Effect.succeed(read)
    const next: Effect.Effect<Array<Uint8Array> | "end", E> = Effect.suspend(() => {
      const now = poll()
      if (now !== undefined) return settle(now)
      return Effect.async<Array<Uint8Array> | "end", E>((resume) => {
        wake = () => {
          const read = poll()
          if (read === undefined) return
          wake = undefined
          resume(settle(read))
        }
        return Effect.sync(() => {
          wake = undefined
        })
      })
    })
    const loop: Effect.Effect<void, E | E2, R> = Effect.flatMap(next, (buffers) => {
      if (buffers === "end") return reader.end()
      const step = reader.read(buffers)
      // done: nothing more is read, and the body is released below
      if (reader.done) return step ?? Effect.void
      return step === undefined ? loop : Effect.zipRight(step, loop)
    })
    return Effect.ensuring(
      loop,
      Effect.sync(() => {
        body.off("readable", onSignal)
        body.off("end", onSignal)
        body.off("error", onFailure)
        body.off("close", onSignal)
        if (!body.destroyed && !body.readableEnded) body.destroy()
      })
    )
  })
