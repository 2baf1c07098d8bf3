/**
 * The per-user composition: what a user's services are made of, once per
 * user session, and the `UserSessions` of a node that make them. The
 * services each have their own tag (`UserServices` of handlers/FrameContext);
 * this is the one place that knows all of them.
 */
import { Context, Effect, FiberMap, Layer, Option, Scope } from "effect"
import { AlertSubscription, QualityAlertSubscription } from "./agent/quality/AlertSubscription.js"
import * as RunLimits from "./agent/RunLimits.js"
import { type NodeRuns, RunCluster } from "./agent/RunCluster.js"
import { RunRegistry, Runs } from "./agent/Runs.js"
import type { UserServices } from "./handlers/FrameContext.js"
import { ConversationSettings } from "./state/ConversationSettings.js"
import { SessionSettings } from "./state/SessionSettings.js"
import * as Metrics from "./observability/Metrics.js"
import { type ConversationOptions, ConversationMemory, Conversations } from "./state/Conversations.js"
import { CurrentStream, type StreamService } from "./state/CurrentStream.js"
import { CurrentUser } from "./state/CurrentUser.js"
import { Emitter } from "./state/Emitter.js"
import { Lifecycle, type LifecycleState } from "./state/Lifecycle.js"
import * as UserSessions from "./state/UserSessions.js"
import { Backplane } from "./store/Backplane.js"
import { HistoryStore } from "./store/HistoryStore.js"

/** What every user's services are made with: the node's settings, shared by all of them. */
export interface Settings {
  readonly conversations: ConversationOptions
  /** run records kept per user (for `stop_agent` and the quality handlers) */
  readonly maxRunRecords: number
  /** the node's lifecycle: runs count themselves there, and a draining node starts none */
  readonly lifecycle: LifecycleState
  /** runs per minute and at once, per user (PROTOCOL §10) */
  readonly runLimits: RunLimits.Options
  /** the node's runs among the cluster's (`RunCluster`), when the node has one */
  readonly cluster?: NodeRuns | undefined
}

/**
 * The services of `userId`: the user, the stream, the runs (their fibers in
 * `scope`, made on the first run), the conversation memory, the
 * `quality_alert` subscription, and the emitter that publishes to the stream.
 * Made once per user session; `scope` closing interrupts the runs.
 */
export const make = (
  user: { readonly userId: string; readonly stream: StreamService; readonly scope: Effect.Effect<Scope.Scope> },
  settings: Settings
): Context.Context<UserServices> => {
  const { scope, stream, userId } = user
  const runs = new RunRegistry(userId, fiberMapIn(scope), settings.maxRunRecords, settings.lifecycle, settings.runLimits, settings.cluster)
  return Context.make(CurrentUser, { userId }).pipe(
    Context.add(CurrentStream, stream),
    Context.add(Runs, runs),
    Context.add(Conversations, new ConversationMemory(settings.conversations)),
    Context.add(AlertSubscription, new QualityAlertSubscription()),
    Context.add(Emitter, liveEmitter(stream))
  )
}

/** The node's settings for users' services, from their modules' settings. */
export const settingsFrom = (
  config: SessionSettings["Type"] & ConversationSettings["Type"],
  lifecycle: LifecycleState
): Settings => ({
  conversations: {
    maxTurns: config.agentMemoryTurns,
    maxChars: config.agentMemoryChars,
    maxThreads: config.agentMemoryThreads,
    maxUserChars: config.agentMemoryUserChars
  },
  maxRunRecords: config.maxRunRecords,
  lifecycle,
  runLimits: RunLimits.fromSettings(config.runRateLimitPerMin, config.maxRunsPerUser)
})

/** The node's user sessions: kept `sessionGraceMs` after their last connection, with the services above. */
export const sessionsLayer: Layer.Layer<
  UserSessions.UserSessions,
  never,
  SessionSettings | ConversationSettings | Lifecycle | Backplane | HistoryStore
> = Layer.scoped(
  UserSessions.UserSessions,
  Effect.gen(function*() {
    const config = { ...(yield* SessionSettings), ...(yield* ConversationSettings) }
    // one object for every user of this node
    const cluster = yield* Effect.serviceOption(RunCluster)
    const settings = { ...settingsFrom(config, yield* Lifecycle), cluster: Option.getOrUndefined(cluster) }
    return yield* UserSessions.make({
      backplane: yield* Backplane,
      history: yield* HistoryStore,
      graceMs: config.sessionGraceMs,
      services: (user) => make(user, settings) as Context.Context<never>
    })
  })
)

// every event of every run comes here: counted in the same step, not by an Effect-level metric update. A
// run's events go without waiting for each one's seq (cluster mode: a Redis round trip each), all but its
// `agent_completed`: the run is over once that is published (the backplane waits for a run's recorded end
// anyway; this is the rule for every run, recorded or not)
const liveEmitter = (stream: StreamService): Emitter["Type"] => ({
  emit: (event) =>
    Effect.map(event.type === "agent_completed" ? stream.publish(event) : stream.publishNoWait(event), countStreamEvent)
})

const countStreamEvent = (): void => Metrics.bump(Metrics.streamEvents)

/** The FiberMap of a user's runs, made in the session's scope on the first run (two racing first runs share the one made first). */
const fiberMapIn = (scope: Effect.Effect<Scope.Scope>): Effect.Effect<FiberMap.FiberMap<string>> => {
  let fibers: FiberMap.FiberMap<string> | undefined = undefined
  return Effect.suspend(() =>
    fibers === undefined
      ? Effect.map(Effect.flatMap(scope, (made) => Scope.extend(FiberMap.make<string>(), made)), (made) => (fibers ??= made))
      : Effect.succeed(fibers)
  )
}
