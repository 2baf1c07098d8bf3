import { Clock, Context, Effect, Layer, Metric, PubSub, Schedule, Stream } from "effect";
import { Lifecycle } from "../Lifecycle.js";
import { Connections } from "../session/Connections.js";
import { UserSessions } from "../session/UserContext.js";
import { sampleOf, totalsOf } from "./DashboardStats.js";
const SAMPLE_INTERVAL_MS = 1e3;
const WINDOW_SAMPLES = 60;
const HISTORY_SAMPLES = 120;
class DashboardFeed extends Context.Tag("switchyard/DashboardFeed")() {
  /** The feed, sampling in the background for the lifetime of the layer. */
  static layer = Layer.scoped(
    DashboardFeed,
    Effect.gen(function* () {
      const connections = yield* Connections;
      const sessions = yield* UserSessions;
      const lifecycle = yield* Lifecycle;
      const totals = [];
      const history = [];
      const pubsub = yield* PubSub.sliding(16);
      yield* Effect.addFinalizer(() => PubSub.shutdown(pubsub));
      const take = Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis;
        const current = totalsOf(yield* Metric.snapshot, now);
        const sample = sampleOf(current, totals[totals.length - 1], totals[0], {
          connections: yield* connections.count,
          usersConnected: yield* connections.users,
          usersActive: yield* sessions.size,
          runsRunning: Math.max(0, lifecycle.runningRuns)
        });
        totals.push(current);
        if (totals.length > WINDOW_SAMPLES + 1) totals.shift();
        history.push(sample);
        if (history.length > HISTORY_SAMPLES) history.shift();
        return sample;
      });
      yield* take;
      yield* Effect.forkScoped(
        Effect.repeat(Effect.flatMap(take, (sample) => PubSub.publish(pubsub, sample)), Schedule.spaced(SAMPLE_INTERVAL_MS)).pipe(Effect.delay(SAMPLE_INTERVAL_MS))
      );
      return {
        latest: Effect.sync(() => history[history.length - 1]),
        subscribe: Effect.map(PubSub.subscribe(pubsub), (queue) => ({
          // subscribed before the history is copied: no sample falls between the two
          history: history.slice(),
          live: Stream.fromQueue(queue)
        }))
      };
    })
  );
}
export {
  DashboardFeed,
  HISTORY_SAMPLES,
  SAMPLE_INTERVAL_MS,
  WINDOW_SAMPLES
};
//# sourceMappingURL=DashboardFeed.js.map
