import { Context, Effect, FiberMap, Layer, RcMap, type Scope } from "effect"
import { RunRegistry } from "../agent/Runs.js"
import { SwitchyardConfig } from "../Config.js"
import { Lifecycle } from "../Lifecycle.js"
import { AlertSubscription } from "../quality/AlertSubscription.js"
import { Conversations } from "./Conversations.js"
import { DedupeStore } from "./Dedupe.js"
import { UserStream } from "./UserStream.js"

/**
 * Everything the service holds for one user (PROTOCOL §6): the stream with
 * its history and open connections, the agent runs, the dedupe store. It is
 * shared by all of the user's connections and outlives them by the grace period.
 */
export interface UserSession {
  readonly userId: string
  readonly stream: UserStream
  readonly runs: RunRegistry
  readonly dedupe: DedupeStore
  /** the user's `quality_alert` subscription (PROTOCOL §4), evaluated as runs end */
  readonly qualityAlert: AlertSubscription
  /** the user's conversation memory per `thread_id`, for model-backed agents */
  readonly conversations: Conversations
}

/** The session of the user a frame came from (provided per frame). */
export class UserContext extends Context.Tag("switchyard/UserContext")<UserContext, UserSession>() {}

/**
 * The live user sessions, keyed by user id. Each connection holds its user's
 * session in its own Scope; when the last one closes the session stays for
 * `sessionGraceMs` and is then released — its runs interrupted by their FiberMap.
 */
export class UserSessions extends Context.Tag("switchyard/UserSessions")<UserSessions, {
  /** Acquires the user's session for the lifetime of `Scope`. */
  readonly acquire: (userId: string) => Effect.Effect<UserSession, never, Scope.Scope>
  /** How many users currently have a live session (connected or in grace). */
  readonly size: Effect.Effect<number>
}>() {
  /** Sessions backed by an `RcMap` whose idle time-to-live is the grace period. */
  static readonly layer: Layer.Layer<UserSessions, never, SwitchyardConfig | Lifecycle> = Layer.scoped(
    UserSessions,
    Effect.gen(function*() {
      const config = yield* SwitchyardConfig
      const lifecycle = yield* Lifecycle
      const sessions = yield* RcMap.make({
        lookup: (userId: string) =>
          Effect.gen(function*() {
            const fibers = yield* FiberMap.make<string>()
            const session: UserSession = {
              userId,
              stream: new UserStream({
                minEvents: config.historyMinEvents,
                minAgeMs: config.historyMinAgeMs,
                maxEvents: config.historyMaxEvents
              }),
              runs: new RunRegistry(userId, fibers, config.maxRunRecords, lifecycle),
              dedupe: new DedupeStore({
                windowMs: config.dedupeWindowMs,
                minEntries: config.dedupeMinEntries,
                maxEntries: config.dedupeMaxEntries
              }),
              qualityAlert: new AlertSubscription(),
              conversations: new Conversations({
                maxTurns: config.agentMemoryTurns,
                maxChars: config.agentMemoryChars,
                maxThreads: config.agentMemoryThreads
              })
            }
            yield* Effect.addFinalizer(() => Effect.logDebug("user session released"))
            return session
          }).pipe(Effect.annotateLogs({ user_id: userId })),
        idleTimeToLive: config.sessionGraceMs
      })
      return {
        acquire: (userId) => RcMap.get(sessions, userId),
        size: Effect.map(RcMap.keys(sessions), (keys) => keys.length)
      }
    })
  )
}
