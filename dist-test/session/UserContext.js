import { Context, Effect, FiberMap, Layer, RcMap } from "effect";
import { RunRegistry } from "../agent/Runs.js";
import { SwitchyardConfig } from "../Config.js";
import { Lifecycle } from "../Lifecycle.js";
import { AlertSubscription } from "../quality/AlertSubscription.js";
import { Conversations } from "./Conversations.js";
import { DedupeStore } from "./Dedupe.js";
import { UserStream } from "./UserStream.js";
class UserContext extends Context.Tag("switchyard/UserContext")() {
}
class UserSessions extends Context.Tag("switchyard/UserSessions")() {
  /** Sessions backed by an `RcMap` whose idle time-to-live is the grace period. */
  static layer = Layer.scoped(
    UserSessions,
    Effect.gen(function* () {
      const config = yield* SwitchyardConfig;
      const lifecycle = yield* Lifecycle;
      const sessions = yield* RcMap.make({
        lookup: (userId) => Effect.gen(function* () {
          const fibers = yield* FiberMap.make();
          const session = {
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
          };
          yield* Effect.addFinalizer(() => Effect.logDebug("user session released"));
          return session;
        }).pipe(Effect.annotateLogs({ user_id: userId })),
        idleTimeToLive: config.sessionGraceMs
      });
      return {
        acquire: (userId) => RcMap.get(sessions, userId),
        size: Effect.map(RcMap.keys(sessions), (keys) => keys.length)
      };
    })
  );
}
export {
  UserContext,
  UserSessions
};
//# sourceMappingURL=UserContext.js.map
