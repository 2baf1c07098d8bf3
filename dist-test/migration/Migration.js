import { Cause, Clock, Deferred, Duration, Effect, Exit, FiberMap, Option } from "effect";
import * as Metrics from "../observability/Metrics.js";
import { FrameError } from "../protocol/FrameError.js";
import { CurrentConnection, CurrentFrame, FrameTicket } from "../router/FrameContext.js";
import { Emitter } from "../session/Emitter.js";
import { UserContext } from "../session/UserContext.js";
import { inCanary } from "./Canary.js";
import * as Compare from "./Compare.js";
import * as Legacy from "./Legacy.js";
import { MigrationControl } from "./MigrationControl.js";
import * as Resilience from "./Resilience.js";
import { detachedConnection, Recorder, runsFinished, throwawaySession } from "./Shadow.js";
import { Settlement, Tracker } from "./Settlement.js";
const isMigration = (handler2) => "migration" in handler2;
const typesOf = (handlers) => handlers.filter(isMigration).map((handler2) => handler2.type);
const MAX_KEPT_EVENTS = 50;
const outcomeOf = (exit) => {
  if (Exit.isSuccess(exit)) return "ok";
  if (Cause.isInterruptedOnly(exit.cause)) return "interrupted";
  const failure = Cause.failureOption(exit.cause);
  if (Option.isNone(failure)) return "defect";
  const error = failure.value;
  if (!(error instanceof FrameError)) return "breaker_open";
  if (Resilience.isClientError(error)) return "client_error";
  return error.code === "TIMEOUT" ? "timeout" : "error";
};
const observe = (exit, events, settled) => {
  const kept = events.slice(0, MAX_KEPT_EVENTS);
  if (Exit.isSuccess(exit)) return { _tag: "Success", result: exit.value, events: kept, settled };
  if (Cause.isInterruptedOnly(exit.cause)) return void 0;
  const failure = Cause.failureOption(exit.cause);
  const error = Option.isSome(failure) ? Resilience.toFrameError(failure.value) : new FrameError({ code: "INTERNAL", message: "the handler died" });
  return { _tag: "Failure", code: error.code, message: error.message, events: kept, settled };
};
const settle = (exit, recorder, work, extra, waitMs) => {
  const result = Exit.isSuccess(exit) ? exit.value : void 0;
  return Effect.all([work.done, recorder.waitUntil((events) => runsFinished(result, events)), extra], {
    concurrency: "unbounded",
    discard: true
  }).pipe(
    Effect.timeout(Duration.millis(waitMs)),
    Effect.match({ onFailure: () => false, onSuccess: () => true })
  );
};
const handler = (options) => {
  const type = options.type;
  const legacy = typeof options.legacy === "function" ? Legacy.fromPromise(type, options.legacy) : options.legacy;
  const next = options.next;
  const compare = options.compare ?? Compare.structural;
  const sides = { legacy, next };
  const call = (control, state, stage, side, role, payload) => {
    const settings = control.settings;
    const run2 = sides[side].run(payload);
    return Effect.flatMap(Clock.currentTimeNanos, (start) => run2.pipe(
      Resilience.guard({
        breaker: state.breakers[side],
        timeout: Duration.millis(settings.handlerTimeoutMs),
        what: `${type} (${side})`
      }),
      Effect.onExit(
        (exit) => Effect.gen(function* () {
          const outcome = outcomeOf(exit);
          if (outcome === "interrupted") return;
          const end = yield* Clock.currentTimeNanos;
          const latencyMs = Number(end - start) / 1e6;
          const ok = Exit.isSuccess(exit) || !Resilience.isImplementationFailure(exit.cause);
          yield* control.record(state, side, latencyMs, ok);
          Metrics.observeHandler(type, side, latencyMs / 1e3);
          yield* Metrics.increment(Metrics.migrationCalls, { type, side, role, outcome });
          if (settings.loggingEnabled) {
            yield* Effect.logDebug("migration routing decision").pipe(
              Effect.annotateLogs({ type, stage, side, role, outcome, latency_ms: Math.round(latencyMs * 1e3) / 1e3 })
            );
          }
        })
      )
    ));
  };
  const serve = (control, state, stage, side, role, payload) => Effect.mapError(call(control, state, stage, side, role, payload), Resilience.toFrameError);
  const nextPrimary = (control, state, payload) => Effect.gen(function* () {
    const exit = yield* Effect.exit(call(control, state, "next_primary", "next", "serve", payload));
    if (Exit.isSuccess(exit)) return exit.value;
    const cause = exit.cause;
    const fallBack = !Cause.isInterruptedOnly(cause) && Resilience.isImplementationFailure(cause) && control.settings.fallbackEnabled;
    if (!fallBack) return yield* Effect.failCause(Cause.map(cause, Resilience.toFrameError));
    yield* control.recordFallback(state);
    return yield* serve(control, state, "next_primary", "legacy", "fallback", payload);
  });
  const shadow = (control, state, payload) => Effect.gen(function* () {
    const settings = control.settings;
    if (state.shadowInFlight >= settings.maxShadowInFlight) {
      state.shadowSkipped++;
      return yield* serve(control, state, "shadow", "legacy", "serve", payload);
    }
    const user = yield* UserContext;
    const frame = yield* CurrentFrame;
    const emitter = yield* Emitter;
    const servingRecorder = new Recorder();
    const servingWork = new Tracker();
    const servingExit = yield* Deferred.make();
    const runShadow = Effect.scoped(Effect.gen(function* () {
      const fibers = yield* FiberMap.make();
      const recorder = new Recorder();
      const work = new Tracker();
      const ticket = new FrameTicket(frame.id);
      ticket.markReplied();
      const exit = yield* Effect.exit(
        call(control, state, "shadow", "next", "shadow", payload).pipe(
          Effect.provideService(UserContext, throwawaySession(user, fibers)),
          Effect.provideService(Emitter, recorder.emitter()),
          Effect.provideService(CurrentFrame, ticket),
          Effect.provideService(CurrentConnection, detachedConnection(user.userId)),
          Effect.provideService(Settlement, work)
        )
      );
      const settled = yield* settle(exit, recorder, work, Effect.ignore(FiberMap.awaitEmpty(fibers)), settings.shadowWaitMs);
      recorder.close();
      return observe(exit, recorder.events, settled);
    }));
    const observeServing = Effect.gen(function* () {
      const exit = yield* Deferred.await(servingExit);
      const settled = yield* settle(exit, servingRecorder, servingWork, Effect.void, settings.shadowWaitMs);
      servingRecorder.close();
      return observe(exit, servingRecorder.events, settled);
    });
    const comparison = Effect.gen(function* () {
      const [legacyObserved, nextObserved] = yield* Effect.all([observeServing, runShadow], {
        concurrency: "unbounded"
      });
      if (legacyObserved === void 0 || nextObserved === void 0) return;
      const verdict = compare(legacyObserved, nextObserved);
      yield* control.recordComparison(
        state,
        verdict.equal ? void 0 : {
          user_id: user.userId,
          frame_id: frame.id ?? null,
          difference: verdict.difference,
          legacy: legacyObserved,
          next: nextObserved
        }
      );
      if (!verdict.equal && settings.loggingEnabled) {
        yield* Effect.logDebug("shadow mismatch").pipe(
          Effect.annotateLogs({ type, difference: verdict.difference })
        );
      }
    }).pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("shadow comparison failed", cause)),
      Effect.ensuring(Effect.sync(() => state.shadowInFlight--))
    );
    state.shadowInFlight++;
    yield* control.fork(comparison);
    return yield* serve(control, state, "shadow", "legacy", "serve", payload).pipe(
      Effect.provideService(Emitter, servingRecorder.emitter(emitter)),
      Effect.provideService(Settlement, servingWork),
      Effect.onExit((exit) => Deferred.succeed(servingExit, Exit.mapError(exit, (e) => e)))
    );
  });
  const run = (payload) => Effect.gen(function* () {
    const control = yield* MigrationControl;
    const state = yield* control.state(type);
    const stage = state.stage;
    switch (stage) {
      case "legacy_only":
        return yield* serve(control, state, stage, "legacy", "serve", payload);
      case "next_only":
        return yield* serve(control, state, stage, "next", "serve", payload);
      case "canary": {
        const user = yield* UserContext;
        const side = inCanary(user.userId, state.canaryPercent) ? "next" : "legacy";
        return yield* serve(control, state, stage, side, "serve", payload);
      }
      case "next_primary":
        return yield* nextPrimary(control, state, payload);
      case "shadow":
        return yield* shadow(control, state, payload);
    }
  });
  return {
    type,
    aliases: [],
    reply: next.reply,
    batchable: next.batchable && legacy.batchable,
    migration: { legacy, next },
    run
  };
};
export {
  handler,
  isMigration,
  typesOf
};
//# sourceMappingURL=Migration.js.map
