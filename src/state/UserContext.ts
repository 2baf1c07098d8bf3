import { Context, Effect, FiberMap, Layer, RcMap, Scope } from "effect"
import * as RunLimits from "../agent/RunLimits.js"
import { RunRegistry } from "../agent/Runs.js"
import { SwitchyardConfig } from "../Config.js"
import { Lifecycle, type LifecycleState } from "./Lifecycle.js"
import { AlertSubscription } from "../agent/quality/AlertSubscription.js"
import { type ConversationOptions, Conversations } from "./Conversations.js"
import type { HistoryOptions } from "../store/History.js"
import { UserStream } from "./UserStream.js"

/**
 * Everything the service holds for one user (PROTOCOL §6): the stream with
 * its history and open connections, the agent runs. It is shared by all of
 * the user's connections and outlives them by the grace period. (Message ids
 * are not here: the node's `DedupeStore` remembers them beyond the session.)
 */
export interface UserSession {
  readonly userId: string
  readonly stream: UserStream
  readonly runs: RunRegistry
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
      // one object for every session of this node
      const settings: SessionSettings = {
        history: {
          minEvents: config.historyMinEvents,
          minAgeMs: config.historyMinAgeMs,
          maxEvents: config.historyMaxEvents,
          maxBytes: config.historyMaxBytes
        },
        conversations: {
          maxTurns: config.agentMemoryTurns,
          maxChars: config.agentMemoryChars,
          maxThreads: config.agentMemoryThreads,
          maxUserChars: config.agentMemoryUserChars
        },
        maxRunRecords: config.maxRunRecords,
        lifecycle,
        runLimits: RunLimits.fromSettings(config.runRateLimitPerMin, config.maxRunsPerUser)
      }
      const sessions = yield* RcMap.make({
        lookup: (userId: string) =>
          Effect.flatMap(Effect.zip(Effect.scope, UserStream.make(settings.history)), ([scope, stream]): Effect.Effect<UserSession> => {
            // a session made anew has lost its stream's past: a new stream, a new epoch (PROTOCOL §6)
            const session = new LiveSession(userId, settings, scope, stream)
            // not `Effect.addFinalizer`: that would keep this lookup's fiber refs for the session's lifetime
            return Effect.as(Scope.addFinalizerExit(scope, () => session.released), session)
          }),
        idleTimeToLive: config.sessionGraceMs
      })
      return {
        acquire: (userId) => RcMap.get(sessions, userId),
        size: Effect.map(RcMap.keys(sessions), (keys) => keys.length)
      }
    })
  )
}

/** What every live session is made with: the node's settings, shared by all of them. */
interface SessionSettings {
  readonly history: HistoryOptions
  readonly conversations: ConversationOptions
  readonly maxRunRecords: number
  readonly lifecycle: LifecycleState
  /** runs per minute and at once, per user (PROTOCOL §10) */
  readonly runLimits: RunLimits.Options
}

/**
 * A user's session in the `RcMap`. Only the stream is made up front (every
 * connection joins it at once); runs, alert subscription and
 * conversation memory are made on first use, so a user who only sits
 * connected costs little. Its `scope` is the RcMap entry's: closed when the
 * grace period ends, interrupting the runs.
 */
class LiveSession implements UserSession {
  private runRegistry: RunRegistry | undefined = undefined
  private alertSubscription: AlertSubscription | undefined = undefined
  private conversationMemory: Conversations | undefined = undefined

  constructor(
    readonly userId: string,
    private readonly settings: SessionSettings,
    private readonly scope: Scope.Scope,
    readonly stream: UserStream
  ) {}

  get runs(): RunRegistry {
    return this.runRegistry ??= new RunRegistry(
      this.userId,
      fiberMapIn(this.scope),
      this.settings.maxRunRecords,
      this.settings.lifecycle,
      this.settings.runLimits
    )
  }

  get qualityAlert(): AlertSubscription {
    return this.alertSubscription ??= new AlertSubscription()
  }

  get conversations(): Conversations {
    return this.conversationMemory ??= new Conversations(this.settings.conversations)
  }

  /** What the session's finalizer does: the session is gone when the grace period ends. */
  get released(): Effect.Effect<void> {
    return Effect.logDebug("user session released").pipe(Effect.annotateLogs({ user_id: this.userId }))
  }
}

/** The FiberMap of a user's runs, made in `scope` on the first run (two racing first runs share the one made first). */
const fiberMapIn = (scope: Scope.Scope): Effect.Effect<FiberMap.FiberMap<string>> => {
  let fibers: FiberMap.FiberMap<string> | undefined = undefined
  return Effect.suspend(() =>
    fibers === undefined
      ? Effect.map(Scope.extend(FiberMap.make<string>(), scope), (made) => (fibers ??= made))
      : Effect.succeed(fibers)
  )
}
