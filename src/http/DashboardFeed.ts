import { Clock, Effect, Metric, PubSub, Schedule, Stream } from "effect"
import { Lifecycle } from "../state/Lifecycle.js"
import { Connections } from "../transport/Connections.js"
import { UserSessions } from "../state/UserSessions.js"
import { type Sample, sampleOf, type Totals, totalsOf } from "../observability/DashboardStats.js"
import { clusterSampleOf } from "../observability/ClusterSample.js"
import { ClusterView } from "../store/ClusterView.js"
import { ServerSettings } from "../transport/ServerSettings.js"

/** How often the feed samples the metrics. */
export const SAMPLE_INTERVAL_MS = 1000

/** The window of the per-type rates and latencies, in samples (= seconds). */
export const WINDOW_SAMPLES = 60

/** How many past samples a new dashboard gets, to draw its charts at once. */
export const HISTORY_SAMPLES = 120

/** Dashboards watching at once, at most: the feed needs no token, so its viewers are bounded. */
export const MAX_VIEWERS = 64

/**
 * The live numbers of the dashboard: one fiber samples the metric registry
 * and the cluster view every second (whoever watches, the cost is one snapshot a second, not one per
 * viewer) and publishes a {@link Sample} to every subscriber. A new subscriber
 * first gets the recent history, so its charts start filled.
 * `DashboardFeed.Default`: the feed, sampling in the background for the lifetime of the layer.
 */
export class DashboardFeed extends Effect.Service<DashboardFeed>()("switchyard/DashboardFeed", {
  scoped: Effect.gen(function*() {
    const connections = yield* Connections
    const sessions = yield* UserSessions
    const lifecycle = yield* Lifecycle
    const view = yield* ClusterView
    const { nodeId } = yield* ServerSettings
    const totals: Array<Totals> = []
    const history: Array<Sample> = []
    const pubsub = yield* PubSub.sliding<Sample>(16)
    yield* Effect.addFinalizer(() => PubSub.shutdown(pubsub))

    const take = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const current = totalsOf(yield* Metric.snapshot, now)
      const open = yield* connections.count
      const users = yield* connections.users
      // (Redis mode: one read of the live nodes' reports a second; it fails fast, to this node alone, while Redis is away)
      const cluster = clusterSampleOf(nodeId, yield* view.backplane, yield* view.nodes, { connections: open, users })
      const sample = sampleOf(current, totals[totals.length - 1], totals[0], {
        connections: open,
        usersConnected: users,
        usersActive: yield* sessions.size,
        runsRunning: Math.max(0, lifecycle.runningRuns)
      }, cluster)
      totals.push(current)
      if (totals.length > WINDOW_SAMPLES + 1) totals.shift()
      history.push(sample)
      if (history.length > HISTORY_SAMPLES) history.shift()
      return sample
    })

    yield* take
    yield* Effect.forkScoped(
      Effect.repeat(Effect.flatMap(take, (sample) => PubSub.publish(pubsub, sample)), Schedule.spaced(SAMPLE_INTERVAL_MS))
        .pipe(Effect.delay(SAMPLE_INTERVAL_MS))
    )

    let viewers = 0
    const counted = Effect.acquireRelease(Effect.sync(() => viewers++), () => Effect.sync(() => viewers--))
    return {
      /** The latest sample. */
      latest: Effect.sync((): Sample => history[history.length - 1]!),
      /** May one more dashboard watch (fewer than `MAX_VIEWERS` do)? */
      hasRoom: Effect.sync(() => viewers < MAX_VIEWERS),
      /**
       * The recent samples (oldest first) and every sample from now on, for the
       * lifetime of the Scope (a viewer, counted). The stream ends when the
       * service stops.
       */
      subscribe: Effect.zipRight(
        counted,
        Effect.map(PubSub.subscribe(pubsub), (queue) => ({
          // subscribed before the history is copied: no sample falls between the two
          history: history.slice(),
          live: Stream.fromQueue(queue)
        }))
      )
    }
  })
}) {}
