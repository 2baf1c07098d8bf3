import { Cause, type Clock, Context, Data, Deferred, Duration, Effect, Exit, FiberId, FiberSet, Scope } from "effect"
import type { Backplane } from "../store/Backplane.js"
import type { HistoryStore } from "../store/HistoryStore.js"
import { UserStream } from "./UserStream.js"

/**
 * What the service holds for one user while any of the user's connections is
 * open, and for the grace period after (PROTOCOL §6): the stream every
 * connection joins, and the user's services its frames run with. (Message
 * ids are not here: the node's `DedupeStore` remembers them beyond the session.)
 */
export interface UserSession {
  readonly userId: string
  /** the user's stream, with its history and open connections */
  readonly stream: UserStream
  /**
   * The user's services (`UserServices` of handlers/FrameContext): made on the
   * first call — a user who only sits connected never pays for them — and
   * then the same context for every frame of every connection of the user.
   */
  readonly services: () => Context.Context<never>
}

/**
 * The user's session could not be made: its stream did not subscribe (cluster
 * mode: Redis away). Nothing of it stays; the next `hold` tries afresh.
 */
export class SessionUnavailable extends Data.TaggedError("SessionUnavailable")<{
  readonly userId: string
  readonly cause: Cause.Cause<unknown>
}> {}

/**
 * Makes a user's services, once per session. `scope` is the session's, made on
 * first use (most sessions never need one) and closed when its grace period ends.
 */
export type MakeServices = (user: {
  readonly userId: string
  readonly stream: UserStream
  readonly scope: Effect.Effect<Scope.Scope>
}) => Context.Context<never>

/**
 * The live user sessions, keyed by user id. Each connection holds its user's
 * session (`acquire` in a Scope, or `hold` and `release`); when the last one
 * lets go the session stays for the grace period and is then released — its
 * scope closed, which ends what its services hold (the runs are interrupted
 * by their FiberMap), and its stream unsubscribed.
 */
export class UserSessions extends Context.Tag("switchyard/UserSessions")<UserSessions, {
  /** Acquires the user's session for the lifetime of `Scope`. */
  readonly acquire: (userId: string) => Effect.Effect<UserSession, SessionUnavailable, Scope.Scope>
  /**
   * Holds the user's session until `release`, at once: where it is live, or
   * its stream opens without waiting (in memory). Undefined where it would
   * have to wait (a shared store's round trip): `hold` then.
   */
  readonly holdNow: (userId: string) => UserSession | undefined
  /** Holds the user's session until `release`, made if need be; fails (holding nothing) where it cannot be made. */
  readonly hold: (userId: string) => Effect.Effect<UserSession, SessionUnavailable>
  /** Lets go of a session `hold` or `holdNow` gave (once per hold): the last one starts its grace period. */
  readonly release: (session: UserSession) => void
  /** How many users currently have a live session (connected or in grace). */
  readonly size: Effect.Effect<number>
}>() {}

/** How sessions are made: the stores of their streams, their services, and how long they outlive their last connection. */
export interface SessionOptions {
  readonly backplane: Backplane["Type"]
  readonly history: HistoryStore["Type"]
  readonly services: MakeServices
  readonly graceMs: number
}

/**
 * The sessions of a node, until the Scope closes (which ends every session).
 * Not an `RcMap`: that forks a fiber, takes a semaphore and makes a Scope and
 * a Deferred for every new user, most of the CPU of a connect
 * (`scripts/bench/connect-profile.ts`); here a user whose stream opens at once
 * costs a Map entry and two objects.
 */
export const make = (options: SessionOptions): Effect.Effect<UserSessions["Type"], never, Scope.Scope> =>
  Effect.gen(function*() {
    const clock = yield* Effect.clock
    // grace periods and session ends run here: interrupted when the node stops
    const run = yield* FiberSet.makeRuntime<never, void, never>()
    const registry = new Registry(options, clock, (effect) => void run(effect))
    yield* Effect.addFinalizer(() => registry.closeAll)
    return {
      acquire: (userId) =>
        Effect.uninterruptible(Effect.flatMap(registry.hold(userId), (session) =>
          Effect.flatMap(Effect.scope, (scope) =>
            Effect.as(Scope.addFinalizer(scope, Effect.sync(() => registry.release(session))), session)))),
      holdNow: (userId) => registry.holdNow(userId),
      hold: (userId) => registry.hold(userId),
      release: (session) => registry.release(session),
      size: Effect.sync(() => registry.size)
    }
  })

/** One user's place in the registry: its session (once made), and who holds it. */
class Entry {
  session: LiveSession | undefined = undefined
  /** the session being made (its stream subscribing): who asks meanwhile waits for it */
  opening: Deferred.Deferred<LiveSession, SessionUnavailable> | undefined = undefined
  holders = 0
  /** when the grace period ends, if nobody holds the session then */
  expiresAt = 0
  /** a fiber waits for `expiresAt` */
  expiring = false
}

class Registry {
  private readonly entries = new Map<string, Entry>()
  private closed = false

  constructor(
    private readonly options: SessionOptions,
    private readonly clock: Clock.Clock,
    private readonly run: (effect: Effect.Effect<void>) => void
  ) {}

  get size(): number {
    return this.entries.size
  }

  holdNow(userId: string): UserSession | undefined {
    const entry = this.entries.get(userId)
    if (entry !== undefined) {
      if (entry.session === undefined) return undefined
      entry.holders++
      return entry.session
    }
    if (this.closed) return undefined
    const { backplane, history, services } = this.options
    const stream = UserStream.makeNow(userId, backplane, history, this.clock.unsafeCurrentTimeMillis())
    if (stream === undefined) return undefined
    const made = new Entry()
    made.session = new LiveSession(userId, stream, services)
    made.holders = 1
    this.entries.set(userId, made)
    return made.session
  }

  hold(userId: string): Effect.Effect<UserSession, SessionUnavailable> {
    return Effect.suspend((): Effect.Effect<UserSession, SessionUnavailable> => {
      const now = this.holdNow(userId)
      if (now !== undefined) return Effect.succeed(now)
      if (this.closed) return Effect.interrupt
      const entry = this.entries.get(userId)
      if (entry !== undefined) {
        // another connection of the user is making the session
        entry.holders++
        return Effect.onInterrupt(Deferred.await(entry.opening!), () => Effect.sync(() => this.letGo(userId, entry)))
      }
      const made = new Entry()
      const opening = Deferred.unsafeMake<LiveSession, SessionUnavailable>(FiberId.none)
      made.opening = opening
      made.holders = 1
      this.entries.set(userId, made)
      // the subscription and the session that ends it are made without a gap
      return Effect.uninterruptible(Effect.flatMap(
        Effect.exit(UserStream.make(userId, this.options.backplane, this.options.history)),
        (exit): Effect.Effect<UserSession, SessionUnavailable> => {
          made.opening = undefined
          if (Exit.isFailure(exit)) {
            // the store's errors are defects: were the entry kept, every later connect of the user would wait on it for ever
            const failure = new SessionUnavailable({ userId, cause: exit.cause })
            if (this.entries.get(userId) === made) this.entries.delete(userId)
            Deferred.unsafeDone(opening, Exit.fail(failure))
            return Effect.fail(failure)
          }
          const session = new LiveSession(userId, exit.value, this.options.services)
          made.session = session
          Deferred.unsafeDone(opening, Exit.succeed(session))
          // the node stopped meanwhile, or every waiter was interrupted
          if (this.closed) this.run(session.end)
          else if (made.holders === 0) this.startGrace(userId, made)
          return Effect.succeed(session)
        }
      ))
    })
  }

  release(session: UserSession): void {
    const entry = this.entries.get(session.userId)
    if (entry !== undefined && entry.session === session) this.letGo(session.userId, entry)
  }

  private letGo(userId: string, entry: Entry): void {
    if (--entry.holders > 0 || entry.session === undefined) return
    this.startGrace(userId, entry)
  }

  private startGrace(userId: string, entry: Entry): void {
    entry.expiresAt = this.clock.unsafeCurrentTimeMillis() + this.options.graceMs
    if (entry.expiring) return
    entry.expiring = true
    this.run(this.expire(userId, entry))
  }

  /** Waits until the grace period ends, then ends the session unless it is held again (or gone). */
  private expire(userId: string, entry: Entry): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (entry.holders > 0 || this.closed || this.entries.get(userId) !== entry) {
        entry.expiring = false
        return Effect.void
      }
      const remaining = entry.expiresAt - this.clock.unsafeCurrentTimeMillis()
      if (remaining > 0) return Effect.flatMap(this.clock.sleep(Duration.millis(remaining)), () => this.expire(userId, entry))
      entry.expiring = false
      this.entries.delete(userId)
      return entry.session!.end
    })
  }

  /** The node stops: every session ends. */
  get closeAll(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.closed = true
      const sessions: Array<LiveSession> = []
      for (const entry of this.entries.values()) if (entry.session !== undefined) sessions.push(entry.session)
      this.entries.clear()
      return Effect.forEach(sessions, (session) => session.end, { discard: true })
    })
  }
}

/**
 * A user's session. Only the stream is made up front (every connection joins
 * it at once); the services, and the scope they run in, are made on first use.
 */
class LiveSession implements UserSession {
  private context: Context.Context<never> | undefined = undefined
  private scope: Scope.CloseableScope | undefined = undefined
  private ended = false

  constructor(
    readonly userId: string,
    readonly stream: UserStream,
    private readonly makeServices: MakeServices
  ) {}

  services(): Context.Context<never> {
    return this.context ??= this.makeServices({
      userId: this.userId,
      stream: this.stream,
      scope: Effect.suspend(() => {
        if (this.scope !== undefined) return Effect.succeed(this.scope)
        return Effect.flatMap(Scope.make(), (made) => {
          // after the end, a scope already closed: what is made in it ends at once
          if (this.ended) return Effect.as(Scope.close(made, Exit.void), made)
          // two first uses at once: the first scope made stays (the session's end closes it), the other is closed
          if (this.scope !== undefined) return Effect.as(Scope.close(made, Exit.void), this.scope)
          this.scope = made
          return Effect.succeed(made)
        })
      })
    })
  }

  /**
   * What ends the session when its grace period ends: its services' scope is
   * closed (their runs interrupted), then the stream leaves the backplane —
   * and in memory, where no other node serves the user, is forgotten, so a
   * session made anew gets a new epoch (PROTOCOL §6).
   */
  get end(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.ended = true
      const scope = this.scope
      return Effect.zipRight(
        scope === undefined ? Effect.void : Scope.close(scope, Exit.void),
        Effect.zipRight(
          this.stream.close,
          Effect.logDebug("user session released").pipe(Effect.annotateLogs({ user_id: this.userId }))
        )
      )
    })
  }
}
