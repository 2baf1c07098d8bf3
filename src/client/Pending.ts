import { Deferred, Effect, Exit, Queue } from "effect"
import type { FrameError } from "../protocol/FrameError.js"
import type { ClientStopped } from "./ClientError.js"

/** A request awaiting its answer. */
export interface Pending {
  readonly id: string
  /** its frame, as written (the same id every time) */
  readonly text: string
  readonly deferred: Deferred.Deferred<unknown, FrameError | ClientStopped>
  /** the connection it was last written to (0: none yet) */
  sentOn: number
}

/**
 * The requests made and not yet answered, in the order they were made. A
 * connection writes them all once it is greeted (after its resume), then
 * each one made while it is open; an answer, a deadline or a stop takes a
 * request out, and then it is written nowhere again.
 */
export class PendingRequests {
  // in the order they were made; also the outbox: a request out of here is out of every queue
  private readonly entries = new Map<string, Pending>()

  // rung when a request is added (one ring is enough: the writer looks at every entry)
  private constructor(private readonly doorbell: Queue.Queue<void>) {}

  static readonly make: Effect.Effect<PendingRequests> = Effect.map(Queue.sliding<void>(1), (doorbell) => new PendingRequests(doorbell))

  /** A new request, to be written on the open connection (or the next one). */
  add(entry: Pending): void {
    this.entries.set(entry.id, entry)
    Queue.unsafeOffer(this.doorbell, undefined)
  }

  /** How many requests await an answer (and so are held). */
  get size(): number {
    return this.entries.size
  }

  /** No longer awaited (answered, past its deadline, or given up by its caller). */
  remove(entry: Pending): void {
    if (this.entries.get(entry.id) === entry) this.entries.delete(entry.id)
  }

  /** Answers the request with this id, if one awaits it. */
  settle(id: string | undefined, exit: Exit.Exit<unknown, FrameError>): void {
    const entry = id === undefined ? undefined : this.entries.get(id)
    if (entry === undefined) return
    this.entries.delete(entry.id)
    Deferred.unsafeDone(entry.deferred, exit)
  }

  /** Fails every awaited request: the client has stopped. */
  failAll(error: ClientStopped): void {
    for (const entry of this.entries.values()) Deferred.unsafeDone(entry.deferred, Exit.fail(error))
    this.entries.clear()
  }

  /** Every awaited request not yet written on `connection`, in order, marked as written there. */
  unsentOn(connection: number): Array<Pending> {
    const unsent = Array.from(this.entries.values()).filter((entry) => entry.sentOn !== connection)
    for (const entry of unsent) entry.sentOn = connection
    return unsent
  }

  /** The next request made for `connection` to write (waits for one). */
  next(connection: number): Effect.Effect<Pending> {
    return Effect.suspend(() => {
      for (const entry of this.entries.values()) {
        if (entry.sentOn === connection) continue
        entry.sentOn = connection
        return Effect.succeed(entry)
      }
      return Effect.zipRight(Queue.take(this.doorbell), this.next(connection))
    })
  }
}
