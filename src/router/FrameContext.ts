import { Context, Effect } from "effect"
import type { Connection } from "../session/Connection.js"
import type { Emitter } from "../session/Emitter.js"
import type { UserContext } from "../session/UserContext.js"
import type { Dispatcher } from "./Dispatcher.js"

/** The connection a frame arrived on. */
export class CurrentConnection extends Context.Tag("switchyard/CurrentConnection")<CurrentConnection, Connection>() {}

/**
 * The frame being handled. `replied` completes once its ack or error has been
 * sent: whatever the frame causes on the stream waits for it, so the ack is
 * always first (PROTOCOL §4).
 */
export class CurrentFrame extends Context.Tag("switchyard/CurrentFrame")<CurrentFrame, FrameTicket>() {}

/** The services the router provides to every handler, per frame. */
export type FrameServices = UserContext | CurrentConnection | CurrentFrame | Emitter | Dispatcher

/** The reply state of one client frame (a batch's inner frames share the batch's). */
export class FrameTicket {
  private done = false
  private readonly afterReply: Array<() => void> = []

  constructor(readonly id: string | undefined) {}

  /** A ticket already answered: for work with no reply to wait for (a shadow call). */
  static answered(id: string | undefined): FrameTicket {
    const ticket = new FrameTicket(id)
    ticket.markReplied()
    return ticket
  }

  /** The ticket of no frame: what runs outside any frame sees. */
  static readonly none: FrameTicket = FrameTicket.answered(undefined)

  /** Completes once the frame has been answered. */
  get replied(): Effect.Effect<void> {
    if (this.done) return Effect.void
    // a callback, not a Deferred: every run waits here once, and a Deferred costs more to make
    return Effect.async<void>((resume) => this.onReplied(() => resume(Effect.void)))
  }

  /** Runs `f` right after the reply is sent (e.g. `disconnect` closing the socket). */
  onReplied(f: () => void): void {
    if (this.done) f()
    else this.afterReply.push(f)
  }

  /** Called by the connection once the reply is on the wire. */
  markReplied(): void {
    if (this.done) return
    this.done = true
    for (const f of this.afterReply) f()
  }
}
