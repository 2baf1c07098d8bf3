import { Context, Effect, RcMap, Scope } from "effect"
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

/** Makes a user's services, once per session; `scope` is the session's, closed when its grace period ends. */
export type MakeServices = (user: {
  readonly userId: string
  readonly stream: UserStream
  readonly scope: Scope.Scope
}) => Context.Context<never>

/**
 * The live user sessions, keyed by user id. Each connection holds its user's
 * session in its own Scope; when the last one closes the session stays for
 * the grace period and is then released — its scope closed, which ends what
 * its services hold (the runs are interrupted by their FiberMap).
 */
export class UserSessions extends Context.Tag("switchyard/UserSessions")<UserSessions, {
  /** Acquires the user's session for the lifetime of `Scope`. */
  readonly acquire: (userId: string) => Effect.Effect<UserSession, never, Scope.Scope>
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

/** Sessions in an `RcMap` whose idle time-to-live is the grace period. */
export const make = (options: SessionOptions): Effect.Effect<UserSessions["Type"], never, Scope.Scope> =>
  Effect.map(
    RcMap.make({
      lookup: (userId: string) =>
        // the subscription and the session's one finalizer, which ends it, are made without a gap
        Effect.uninterruptible(
          Effect.flatMap(Effect.zip(Effect.scope, UserStream.make(userId, options.backplane, options.history)), ([scope, stream]): Effect.Effect<UserSession> => {
            const session = new LiveSession(userId, stream, scope, options.services)
            // not `Effect.addFinalizer`: that would keep this lookup's fiber refs for the session's lifetime
            return Effect.as(Scope.addFinalizerExit(scope, () => session.released), session)
          })
        ),
      idleTimeToLive: options.graceMs
    }),
    (sessions) => ({
      acquire: (userId) => RcMap.get(sessions, userId),
      size: Effect.map(RcMap.keys(sessions), (keys) => keys.length)
    })
  )

/**
 * A user's session in the `RcMap`. Only the stream is made up front (every
 * connection joins it at once); the services are made on first use. Its
 * `scope` is the RcMap entry's: closed when the grace period ends.
 */
class LiveSession implements UserSession {
  private context: Context.Context<never> | undefined = undefined

  constructor(
    readonly userId: string,
    readonly stream: UserStream,
    readonly scope: Scope.Scope,
    private readonly makeServices: MakeServices
  ) {}

  services(): Context.Context<never> {
    return this.context ??= this.makeServices(this)
  }

  /**
   * What the session's finalizer does when the grace period ends: the stream
   * leaves the backplane — and in memory, where no other node serves the
   * user, is forgotten, so a session made anew gets a new epoch (PROTOCOL §6).
   */
  get released(): Effect.Effect<void> {
    return Effect.zipRight(
      this.stream.close,
      Effect.logDebug("user session released").pipe(Effect.annotateLogs({ user_id: this.userId }))
    )
  }
}
