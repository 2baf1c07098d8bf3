import { Cause, Clock, Data, Duration, Effect, Exit, Ref } from "effect";
class CircuitOpenError extends Data.TaggedError("CircuitOpenError") {
  get message() {
    return this.state === "open" ? `circuit breaker "${this.breaker}" is open; retry after ${this.retryAfterMs} ms` : `circuit breaker "${this.breaker}" is half-open and its probe call is in flight`;
  }
}
const BUCKETS = 10;
const closed = { _tag: "Closed", consecutiveFailures: 0, buckets: [] };
const publicState = (s) => s._tag === "Closed" ? "closed" : s._tag === "Open" ? "open" : "half_open";
const settle = (s, now, config) => s._tag === "Open" && now - s.openedAt >= config.resetTimeoutMs ? { _tag: "HalfOpen", probing: false } : s;
const transitionOf = (from, to) => {
  const a = publicState(from);
  const b = publicState(to);
  return a === b ? void 0 : { from: a, to: b };
};
const acquire = (name, s0, now, config) => {
  const s = settle(s0, now, config);
  switch (s._tag) {
    case "Closed":
      return [{ _tag: "Permit", permit: "normal" }, s];
    case "Open":
      return [{
        _tag: "Reject",
        error: new CircuitOpenError({
          breaker: name,
          state: "open",
          retryAfterMs: Math.max(0, s.openedAt + config.resetTimeoutMs - now)
        })
      }, s];
    case "HalfOpen":
      return s.probing ? [{ _tag: "Reject", error: new CircuitOpenError({ breaker: name, state: "half_open", retryAfterMs: 0 }) }, s] : [{ _tag: "Permit", permit: "probe" }, { _tag: "HalfOpen", probing: true }];
  }
};
const record = (s, now, failed, config) => {
  const consecutiveFailures = failed ? s.consecutiveFailures + 1 : 0;
  if (failed && consecutiveFailures >= config.maxConsecutiveFailures) {
    return { _tag: "Open", openedAt: now };
  }
  const rate = config.rate;
  if (rate === void 0) {
    return { ...s, consecutiveFailures };
  }
  const index = Math.floor(now / rate.bucketMs);
  const buckets = [];
  let calls = 0;
  let failures = 0;
  let current = { index, calls: 1, failures: failed ? 1 : 0 };
  for (const b of s.buckets) {
    if (b.index === index) {
      current = { index, calls: b.calls + 1, failures: b.failures + (failed ? 1 : 0) };
    } else if (b.index > index - BUCKETS) {
      buckets.push(b);
      calls += b.calls;
      failures += b.failures;
    }
  }
  buckets.push(current);
  calls += current.calls;
  failures += current.failures;
  if (failed && calls >= rate.minimumCalls && failures / calls >= rate.threshold) {
    return { _tag: "Open", openedAt: now };
  }
  return { _tag: "Closed", consecutiveFailures, buckets };
};
const complete = (s, permit, outcome, now, config) => {
  if (permit === "probe") {
    if (s._tag !== "HalfOpen" || !s.probing) return s;
    switch (outcome) {
      case "success":
        return closed;
      case "failure":
        return { _tag: "Open", openedAt: now };
      case "interrupted":
        return { _tag: "HalfOpen", probing: false };
    }
  }
  if (s._tag !== "Closed" || outcome === "interrupted") return s;
  return record(s, now, outcome === "failure", config);
};
const defaultIsFailure = (_cause) => true;
const make = Effect.fnUntraced(
  function* (options) {
    const maxConsecutiveFailures = options.maxConsecutiveFailures ?? 5;
    if (!(maxConsecutiveFailures >= 1)) {
      return yield* Effect.dieMessage(`CircuitBreaker ${options.name}: maxConsecutiveFailures must be >= 1`);
    }
    const fr = options.failureRate;
    if (fr !== void 0 && !(fr.threshold > 0 && fr.threshold <= 1 && fr.minimumCalls >= 1)) {
      return yield* Effect.dieMessage(
        `CircuitBreaker ${options.name}: failureRate needs 0 < threshold <= 1 and minimumCalls >= 1`
      );
    }
    const config = {
      maxConsecutiveFailures,
      resetTimeoutMs: Duration.toMillis(options.resetTimeout ?? Duration.seconds(60)),
      rate: fr === void 0 ? void 0 : {
        threshold: fr.threshold,
        minimumCalls: fr.minimumCalls,
        bucketMs: Math.max(1, Math.ceil(Duration.toMillis(fr.window) / BUCKETS))
      }
    };
    const name = options.name;
    const isFailure = options.isFailure ?? defaultIsFailure;
    const onStateChange = options.onStateChange;
    const ref = yield* Ref.make(closed);
    const notify = (t) => {
      if (t === void 0) return Effect.void;
      const log = Effect.logInfo(`circuit breaker ${name}: ${t.from} -> ${t.to}`).pipe(
        Effect.annotateLogs({ breaker: name, from: t.from, to: t.to })
      );
      if (onStateChange === void 0) return log;
      return Effect.zipRight(
        log,
        onStateChange(t.from, t.to).pipe(
          Effect.catchAllCause(
            (cause) => Effect.logWarning("circuit breaker onStateChange failed", cause).pipe(
              Effect.annotateLogs({ breaker: name })
            )
          )
        )
      );
    };
    const update = (f) => Ref.modify(ref, (s) => {
      const [x, next] = f(s);
      return [[x, transitionOf(s, next)], next];
    });
    const state = Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.flatMap(
      update((s) => {
        const next = settle(s, now, config);
        return [publicState(next), next];
      }),
      ([st, t]) => Effect.as(notify(t), st)
    ));
    const classify = (exit) => {
      if (Exit.isSuccess(exit)) return "success";
      if (Cause.isInterruptedOnly(exit.cause)) return "interrupted";
      return isFailure(exit.cause) ? "failure" : "success";
    };
    const protect = (self) => Effect.uninterruptibleMask(
      (restore) => Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis;
        const [acquired, opened] = yield* update((s) => acquire(name, s, now, config));
        if (acquired._tag === "Reject") {
          yield* restore(notify(opened));
          return yield* Effect.fail(acquired.error);
        }
        const exit = yield* Effect.exit(restore(Effect.zipRight(notify(opened), self)));
        const end = yield* Clock.currentTimeMillis;
        const outcome = classify(exit);
        const [, changed] = yield* update((s) => [void 0, complete(s, acquired.permit, outcome, end, config)]);
        yield* restore(notify(changed));
        return yield* exit;
      })
    );
    return { name, state, protect };
  }
);
const withCircuitBreaker = (breaker) => (self) => breaker.protect(self);
export {
  CircuitOpenError,
  make,
  withCircuitBreaker
};
//# sourceMappingURL=CircuitBreaker.js.map
