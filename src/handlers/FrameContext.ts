import { Context, Effect, FiberRef } from "effect"
import { globalValue } from "effect/GlobalValue"
import type { AlertSubscription } from "../agent/quality/AlertSubscription.js"
import type { Runs } from "../agent/Runs.js"
import type { Conversations } from "../state/Conversations.js"
import type { CurrentStream } from "../state/CurrentStream.js"
import type { CurrentUser } from "../state/CurrentUser.js"
import type { Emitter } from "../state/Emitter.js"
import type { Dispatch } from "./Dispatch.js"

/**
 * The client a frame came from, by its connection id (the `connection_id`
 * of its greeting). Provided per connection; a handler never gets the
 * socket: it answers, emits and signals through services.
 */
export class CurrentClient extends Context.Tag("switchyard/CurrentClient")<CurrentClient, {
  readonly connectionId: string
}>() {}

/**
 * The per-user services: made once per user session (on first use) and
 * shared by the user's connections, released after the grace period.
 */
export type UserServices = CurrentUser | CurrentStream | Runs | Conversations | AlertSubscription | Emitter

/**
 * What the pipeline provides to each frame besides the router's services:
 * the user's services and the client. A handler names the ones it uses in
 * its type; the router's Layer requires only the rest.
 */
export type FrameProvided = UserServices | CurrentClient | Dispatch

/** The reply state of one client frame (a batch's inner frames share the batch's). */
export class FrameTicket {
  private done = false
  private closeReason: string | undefined = undefined
  private readonly afterReply: Array<() => void> = []
  // ids this frame and the frames it contains hold dedupe claims on, innermost last (see `holds`);
  // one id as a plain string: most frames hold one claim, and this is made for every acked frame
  private held: string | Array<string> | undefined = undefined

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

  /**
   * Asks the transport to close the client's connection normally (1000)
   * once this frame's reply is sent (`disconnect`). Nothing to close for a
   * frame with no connection (a shadow call, a test).
   */
  closeAfterReply(reason: string): void {
    this.closeReason ??= reason
  }

  /** The reason of a close asked for by `closeAfterReply`, if any (read by the transport after the reply). */
  get closeRequested(): string | undefined {
    return this.closeReason
  }

  /** Runs `f` right after the reply is sent. */
  onReplied(f: () => void): void {
    if (this.done) f()
    else this.afterReply.push(f)
  }

  /**
   * Does this frame (or a frame containing it) hold the claim of `id`? Then a
   * claim of `id` found pending is its own: waiting for it would wait forever
   * (a batch containing its own id), so the dispatcher refuses it instead.
   */
  holds(id: string): boolean {
    const held = this.held
    return held === undefined ? false : typeof held === "string" ? held === id : held.includes(id)
  }

  /** The ids whose claims this frame's chain holds, outermost first (a copy: for the rare wait path). */
  heldIds(): ReadonlyArray<string> {
    const held = this.held
    return held === undefined ? [] : typeof held === "string" ? [held] : held.slice()
  }

  /** Records that this frame's chain holds the claim of `id` while it processes. */
  hold(id: string): void {
    const held = this.held
    if (held === undefined) this.held = id
    else if (typeof held === "string") this.held = [held, id]
    else held.push(id)
  }

  /** The claim of `id` has ended (claims end innermost first). */
  unhold(id: string): void {
    const held = this.held
    if (held === undefined) return
    if (typeof held === "string") {
      if (held === id) this.held = undefined
      return
    }
    const at = held.lastIndexOf(id)
    if (at >= 0) held.splice(at, 1)
  }

  /** Called by the connection once the reply is on the wire. */
  markReplied(): void {
    if (this.done) return
    this.done = true
    for (const f of this.afterReply) f()
  }
}

/**
 * Which frame a fiber is working for. The connection's drain fiber holds one
 * live slot for all its frames and moves it to each frame in turn (setting a
 * FiberRef per frame would copy the fiber's refs every time); a fiber forked
 * from it gets a fixed slot of the frame being handled at that moment, so
 * work a handler forks keeps its frame after later frames were handled.
 * (A Runtime a handler captures pins the frame when it is used, not when it
 * was captured: read `CurrentFrame` first and hand the ticket over instead.)
 */
export class FrameSlot {
  private constructor(
    public ticket: FrameTicket,
    private readonly live: boolean
  ) {}

  /** A slot for one frame, for good. */
  static fixed(ticket: FrameTicket): FrameSlot {
    return new FrameSlot(ticket, false)
  }

  /** The slot a connection's drain moves from frame to frame. */
  static live(): FrameSlot {
    return new FrameSlot(FrameTicket.none, true)
  }

  /** What a forked fiber inherits: the frame of this moment. */
  pinned(): FrameSlot {
    return this.live ? FrameSlot.fixed(this.ticket) : this
  }
}

/** The slot of the current fiber (FrameTicket.none outside any frame). */
export const currentFrameSlot: FiberRef.FiberRef<FrameSlot> = globalValue(
  Symbol.for("switchyard/CurrentFrame"),
  () =>
    FiberRef.unsafeMake(FrameSlot.fixed(FrameTicket.none), {
      fork: (slot) => slot.pinned(),
      // a joined child never changes which frame its parent works for
      join: (parent) => parent
    })
)

/**
 * The frame being handled. Its `replied` completes once its ack or error has
 * been sent: whatever the frame causes on the stream waits for it, so the ack
 * is always first (PROTOCOL §4).
 */
export const CurrentFrame: Effect.Effect<FrameTicket> = Effect.map(FiberRef.get(currentFrameSlot), (slot) => slot.ticket)

/** Runs `self` as work of the frame of `ticket` (a test's frame, a shadow call). */
export const withFrame = (ticket: FrameTicket) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.locally(self, currentFrameSlot, FrameSlot.fixed(ticket))
