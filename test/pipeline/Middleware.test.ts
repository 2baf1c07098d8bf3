import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Effect, Fiber, Layer, Metric, Schema } from "effect"
import { batch } from "../../src/handlers/Batch.js"
import { Dispatch, type Outcome } from "../../src/handlers/Dispatch.js"
import { FrameTicket, withFrame } from "../../src/handlers/FrameContext.js"
import * as Handler from "../../src/handlers/Handler.js"
import * as Migration from "../../src/migration/Migration.js"
import * as Metrics from "../../src/observability/Metrics.js"
import { dedupe } from "../../src/pipeline/DedupeMiddleware.js"
import { Dispatcher } from "../../src/pipeline/Dispatcher.js"
import { countOutcomes, timeHandler } from "../../src/pipeline/MetricsMiddleware.js"
import * as Middleware from "../../src/pipeline/Middleware.js"
import * as Router from "../../src/pipeline/Router.js"
import type { ClientFrame } from "../../src/protocol/ClientFrame.js"
import { FrameError } from "../../src/protocol/FrameError.js"
import { CurrentUser } from "../../src/state/CurrentUser.js"
import { DedupeStore, DedupeStoreError } from "../../src/store/DedupeStore.js"
import * as MemoryDedupeStore from "../../src/store/MemoryDedupeStore.js"

/** A handler that logs each run and answers with how many runs it has seen. */
const counting = (
  type: string,
  log: Array<string>,
  options: { readonly timesItself?: boolean } = {}
): Handler.Handler<never> => {
  let runs = 0
  const handler = Handler.make(type, {
    payload: Schema.Struct({ fail: Schema.optional(Schema.Boolean) }),
    success: Schema.Struct({ runs: Schema.Number }),
    handle: ({ fail }) =>
      Effect.suspend(() => {
        log.push(`${type} runs`)
        runs++
        return fail === true
          ? Effect.fail(new FrameError({ code: "HANDLER_FAILED", message: "asked to fail" }))
          : Effect.succeed({ runs })
      })
  })
  return options.timesItself === true ? { ...handler, timesItself: true } : handler
}

/** A wrap that logs around the step below it. */
const around = (name: string, log: Array<string>): Middleware.Wrap =>
  Middleware.wrap((_, next) => (frame) =>
    Effect.suspend(() => {
      log.push(`${name} in`)
      return Effect.tap(next(frame), () => log.push(`${name} out`))
    })
  )

/** An observer that logs the outcomes it sees. */
const watching = (name: string, log: Array<string>): Middleware.Observe =>
  Middleware.observe((route) => (outcome) => log.push(`${name} sees ${route.type} ${outcome.status}`))

const frame = (type: string, id?: string, payload: object = {}): ClientFrame =>
  (id === undefined ? { type, payload } : { type, id, payload }) as ClientFrame

// the per-connection services the dedupe step reads: the user (the frame's ticket comes from `withFrame`)
const user = Context.make(CurrentUser, { userId: "u1" })

// the in-memory dedupe store the dedupe tests start from (each test that provides it gets its own)
const memoryDedupe = MemoryDedupeStore.layerWith({
  windowMs: 60_000,
  minEntries: 10,
  maxEntries: 100,
  maxBytesPerUser: 1 << 20,
  maxResultBytes: 1 << 16,
  maxBytes: 1 << 22
})

/** Builds a dispatcher over `handlers` with `chain`, against mocked layers only (no socket, no config). */
const dispatcherOf = (
  handlers: ReadonlyArray<Handler.Handler<never> | Handler.Handler<Dispatch>>,
  chain: ReadonlyArray<Middleware.Middleware>
) => Dispatcher.pipe(Effect.provide(Dispatcher.layerWith(chain).pipe(Layer.provide(Router.layer(handlers)))))

/** Runs a frame as the connection's drain would: in its own ticket, marked replied once answered. */
const execute = (dispatcher: Dispatcher["Type"], f: ClientFrame): Effect.Effect<Outcome> => {
  const ticket = new FrameTicket(f.id)
  return dispatcher.execute(f).pipe(
    withFrame(ticket),
    Effect.provide(Context.add(user, Dispatch, dispatcher.dispatch)),
    Effect.tap(() => ticket.markReplied())
  ) as Effect.Effect<Outcome>
}

describe("frame middleware", () => {
  it.effect("wraps run outermost first around the handler; observers see the outcome after every wrap, in their order", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const dispatcher = yield* dispatcherOf([counting("echo", log)], [
        watching("first", log),
        around("outer", log),
        watching("second", log),
        around("inner", log)
      ])
      const route = dispatcher.route("echo")
      const outcome = yield* execute(dispatcher, frame("echo", "f1"))
      route.observe(outcome, performance.now())
      expect(log).toEqual([
        "outer in",
        "inner in",
        "echo runs",
        "inner out",
        "outer out",
        "first sees echo ok",
        "second sees echo ok"
      ])
    }))

  it.effect("a wrap may answer without running the handler (short-circuit); the observers still see that answer", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const refusal: Outcome = { status: "error", error: new FrameError({ code: "UNAVAILABLE", message: "closed" }) }
      const closed = Middleware.wrap(() => () => Effect.succeed(refusal))
      const dispatcher = yield* dispatcherOf([counting("echo", log)], [watching("metrics", log), closed])
      const outcome = yield* execute(dispatcher, frame("echo", "f1"))
      dispatcher.route("echo").observe(outcome, performance.now())
      expect(outcome).toBe(refusal)
      expect(log).toEqual(["metrics sees echo error"])
    }))

  it.effect("composes each route's chain once, when the dispatcher is built, not per frame", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const composed: Array<string> = []
      const recording = Middleware.wrap((route, next) => {
        composed.push(route.type)
        return next
      })
      const dispatcher = yield* dispatcherOf([counting("a", log), counting("b", log)], [recording])
      expect([...composed].sort()).toEqual(["a", "b", "unknown"])
      for (let i = 0; i < 5; i++) yield* execute(dispatcher, frame(i % 2 === 0 ? "a" : "b"))
      expect(composed).toHaveLength(3)
      expect(dispatcher.route("a")).toBe(dispatcher.route("a"))
    }))

  it.effect("a type no handler claims runs the chain of the `unknown` route and is answered UNKNOWN_TYPE", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const dispatcher = yield* dispatcherOf([counting("echo", log)], [watching("metrics", log), around("wrap", log)])
      const route = dispatcher.route("nope")
      expect(route.type).toBe("unknown")
      const outcome = yield* execute(dispatcher, frame("nope", "f1"))
      route.observe(outcome, performance.now())
      expect(outcome.status === "error" && outcome.error.code).toBe("UNKNOWN_TYPE")
      expect(log).toEqual(["wrap in", "wrap out", "metrics sees unknown error"])
    }))

  it.effect("a batch's inner frames (through Dispatch) go through the wraps; only the batch itself is observed", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const dispatcher = yield* dispatcherOf([counting("echo", log)], [watching("metrics", log), around("wrap", log)])
      const inner = yield* dispatcher.dispatch.dispatchValue({ type: "echo", id: "in-1", payload: {} }).pipe(
        withFrame(new FrameTicket("batch-1")),
        Effect.provide(Context.add(user, Dispatch, dispatcher.dispatch))
      )
      expect(inner).toEqual({ id: "in-1", outcome: { status: "ok", result: { runs: 1 }, reply: "ack" } })
      expect(log).toEqual(["wrap in", "echo runs", "wrap out"])
    }))
})

describe("the dedupe middleware", () => {
  // the in-memory store as it is (a sync fast path) and as a store with only the Effect API (like a remote one)
  const stores = {
    "the in-process store (sync path)": memoryDedupe
  }
  const effectOnly = Layer.effect(
    DedupeStore,
    Effect.map(DedupeStore, (store) => ({ ...store, sync: undefined }))
  ).pipe(Layer.provide(stores["the in-process store (sync path)"]))

  for (const [name, store] of [...Object.entries(stores), ["a store without a sync path", effectOnly] as const]) {
    describe(name, () => {
      const withDedupe = (handlers: ReadonlyArray<Handler.Handler<never>>, log: Array<string>) =>
        Effect.flatMap(DedupeStore, (s) => dispatcherOf(handlers, [watching("metrics", log), dedupe(s)]))

      it.scoped("answers a repeated id with the first result, without running the handler again", () =>
        Effect.gen(function*() {
          const log: Array<string> = []
          const dispatcher = yield* withDedupe([counting("echo", log)], log)
          const first = yield* execute(dispatcher, frame("echo", "same"))
          const second = yield* execute(dispatcher, frame("echo", "same"))
          dispatcher.route("echo").observe(second, performance.now())
          expect(first).toEqual({ status: "ok", result: { runs: 1 }, reply: "ack" })
          expect(second).toEqual({ status: "duplicate", result: { runs: 1 }, reply: "ack" })
          expect(log).toEqual(["echo runs", "metrics sees echo duplicate"])
        }).pipe(Effect.provide(store)))

      it.scoped("forgets an id whose frame failed, so that its retry runs again", () =>
        Effect.gen(function*() {
          const log: Array<string> = []
          const dispatcher = yield* withDedupe([counting("echo", log)], log)
          const failed = yield* execute(dispatcher, frame("echo", "retry", { fail: true }))
          const retried = yield* execute(dispatcher, frame("echo", "retry"))
          expect(failed.status).toBe("error")
          expect(retried).toEqual({ status: "ok", result: { runs: 2 }, reply: "ack" })
        }).pipe(Effect.provide(store)))

      it.scoped("leaves frames without an id alone", () =>
        Effect.gen(function*() {
          const log: Array<string> = []
          const dispatcher = yield* withDedupe([counting("echo", log)], log)
          yield* execute(dispatcher, frame("echo"))
          yield* execute(dispatcher, frame("echo"))
          expect(log).toEqual(["echo runs", "echo runs"])
        }).pipe(Effect.provide(store)))
    })
  }
})

describe("the dedupe middleware, for a handler whose result is fixed (typing)", () => {
  // a store with only the Effect API (like Redis), counting the calls made of it
  const counted = (calls: Array<string>) =>
    Layer.effect(
      DedupeStore,
      Effect.map(DedupeStore, (store): DedupeStore["Type"] => ({
        claim: (u, id) => Effect.zipRight(Effect.sync(() => calls.push("claim")), store.claim(u, id)),
        record: (u, id, result) => Effect.zipRight(Effect.sync(() => calls.push("record")), store.record(u, id, result)),
        complete: (u, id, result) => Effect.zipRight(Effect.sync(() => calls.push("complete")), store.complete(u, id, result)),
        expire: (u, id) => Effect.zipRight(Effect.sync(() => calls.push("expire")), store.expire(u, id)),
        settled: store.settled,
        sync: undefined,
        sharedWaits: undefined
      }))
    ).pipe(Layer.provide(memoryDedupe))

  const relayed: Array<boolean> = []
  const fixed = Handler.make("mw_typing", {
    payload: Schema.Struct({ is_typing: Schema.Boolean }),
    success: Schema.Struct({}),
    fixedResult: {},
    handle: ({ is_typing }) => Effect.as(Effect.sync(() => relayed.push(is_typing)), {})
  })

  it.scoped("claims and remembers an id in ONE store call; a retry is a duplicate, not relayed again", () => {
    const calls: Array<string> = []
    return Effect.gen(function*() {
      relayed.length = 0
      const dispatcher = yield* Effect.flatMap(DedupeStore, (s) => dispatcherOf([fixed], [dedupe(s)]))
      const first = yield* execute(dispatcher, frame("mw_typing", "t1", { is_typing: true }))
      expect(first).toEqual({ status: "ok", result: {}, reply: "ack" })
      expect(calls).toEqual(["record"])
      const again = yield* execute(dispatcher, frame("mw_typing", "t1", { is_typing: true }))
      expect(again).toEqual({ status: "duplicate", result: {}, reply: "ack" })
      expect(relayed).toEqual([true])
      expect(calls).toEqual(["record", "record"])
    }).pipe(Effect.provide(counted(calls)))
  })

  it.scoped("answers an invalid payload without asking the store (errors are not remembered)", () => {
    const calls: Array<string> = []
    return Effect.gen(function*() {
      const dispatcher = yield* Effect.flatMap(DedupeStore, (s) => dispatcherOf([fixed], [dedupe(s)]))
      const bad = yield* execute(dispatcher, frame("mw_typing", "t2", { is_typing: "yes" }))
      expect(bad).toMatchObject({ status: "error", error: { code: "INVALID_MESSAGE" } })
      expect(calls).toEqual([])
      expect(yield* execute(dispatcher, frame("mw_typing", "t2", { is_typing: false }))).toMatchObject({ status: "ok" })
    }).pipe(Effect.provide(counted(calls)))
  })
})

describe("the dedupe middleware, over a store whose waits are shared by nodes (SharedWaits)", () => {
  // the memory store as a remote one would be: no sync path, waits recorded in `calls` and answered by `enter`
  const sharedBy = (calls: Array<string>, enter: () => Effect.Effect<boolean, DedupeStoreError>) =>
    Layer.effect(
      DedupeStore,
      Effect.map(DedupeStore, (store): DedupeStore["Type"] => ({
        ...store,
        settled: (u, id) => Effect.zipRight(Effect.sync(() => calls.push(`settled ${id}`)), store.settled(u, id)),
        sync: undefined,
        sharedWaits: {
          enter: (_, held, wanted) => Effect.zipRight(Effect.sync(() => calls.push(`enter ${held} ${wanted}`)), enter()),
          leave: (_, held, wanted) => Effect.sync(() => void calls.push(`leave ${held} ${wanted}`))
        }
      }))
    ).pipe(Layer.provide(memoryDedupe))

  // a handler that runs until the test opens its gate, so that its id stays pending meanwhile
  const withGate = Effect.gen(function*() {
    const opened = yield* Deferred.make<void>()
    let running = false
    const gated = Handler.make("mw_gated", {
      payload: Schema.Struct({}),
      success: Schema.Struct({}),
      handle: () => Effect.zipRight(Effect.sync(() => (running = true)), Effect.as(Deferred.await(opened), {}))
    })
    const dispatcher = yield* Effect.flatMap(DedupeStore, (s) => dispatcherOf([gated, counting("echo", []), batch], [dedupe(s)]))
    return { opened, dispatcher, running: () => running }
  })

  const until = (done: () => boolean): Effect.Effect<void> =>
    Effect.suspend(() => done() ? Effect.void : Effect.zipRight(Effect.yieldNow(), until(done)))

  it.scoped("a frame holding no claim waits without a word to the shared waits; a batch's inner frame enters its wait and leaves it", () => {
    const calls: Array<string> = []
    return Effect.gen(function*() {
      const { dispatcher, opened, running } = yield* withGate
      const holder = yield* Effect.fork(execute(dispatcher, frame("mw_gated", "m")))
      yield* until(running)
      const plain = yield* Effect.fork(execute(dispatcher, frame("echo", "m")))
      yield* until(() => calls.length === 1)
      const inBatch = yield* Effect.fork(execute(dispatcher, frame("batch", "b", { messages: [{ type: "echo", id: "m" }] })))
      yield* until(() => calls.length === 3)
      expect(calls).toEqual(["settled m", "enter b m", "settled m"])
      yield* Deferred.succeed(opened, undefined)
      yield* Fiber.join(holder)
      expect(yield* Fiber.join(plain)).toEqual({ status: "duplicate", result: {}, reply: "ack" })
      expect(yield* Fiber.join(inBatch)).toMatchObject({ status: "ok", result: { results: [{ id: "m", status: "duplicate" }] } })
      expect(calls).toEqual(["settled m", "enter b m", "settled m", "leave b m"])
    }).pipe(Effect.provide(sharedBy(calls, () => Effect.succeed(true))))
  })

  it.scoped("a wait the shared waits refuse (a cycle through another node) is INVALID_MESSAGE at once; one they cannot record is UNAVAILABLE", () => {
    const calls: Array<string> = []
    let answer: Effect.Effect<boolean, DedupeStoreError> = Effect.succeed(false)
    return Effect.gen(function*() {
      const { dispatcher, opened, running } = yield* withGate
      const holder = yield* Effect.fork(execute(dispatcher, frame("mw_gated", "m")))
      yield* until(running)
      const refused = yield* execute(dispatcher, frame("batch", "b", { messages: [{ type: "echo", id: "m" }] }))
      expect(refused).toMatchObject({ status: "ok", result: { results: [{ id: "m", status: "error", code: "INVALID_MESSAGE" }] } })
      answer = Effect.fail(new DedupeStoreError({ reason: "Unavailable" }))
      const down = yield* execute(dispatcher, frame("batch", "c", { messages: [{ type: "echo", id: "m" }] }))
      expect(down).toMatchObject({ status: "ok", result: { results: [{ id: "m", status: "error", code: "UNAVAILABLE" }] } })
      // neither waited, nor has a wait to leave
      expect(calls).toEqual(["enter b m", "enter c m"])
      yield* Deferred.succeed(opened, undefined)
      yield* Fiber.join(holder)
    }).pipe(Effect.provide(sharedBy(calls, () => answer)))
  })
})

describe("the metrics middleware", () => {
  const latencyCount = (type: string) =>
    Effect.map(
      Metric.value(Metric.taggedWithLabels(Metrics.handlerSeconds, Metrics.labels({ type, implementation: "builtin" }))),
      (state) => state.count
    )
  const handled = (type: string, outcome: string) =>
    Metric.value(Metric.taggedWithLabels(Metrics.framesTotal, Metrics.labels({ type, outcome }))).pipe(
      Effect.map((state) => state.count)
    )

  it.effect("times a handler once per frame, and a handler that declares it times itself not at all", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const dispatcher = yield* dispatcherOf([
        counting("mw_timed", log),
        counting("mw_self_timed", log, { timesItself: true })
      ], [timeHandler, countOutcomes])
      for (const type of ["mw_timed", "mw_self_timed"]) {
        const outcome = yield* execute(dispatcher, frame(type, `${type}-1`))
        dispatcher.route(type).observe(outcome, performance.now())
      }
      expect(yield* latencyCount("mw_timed")).toBe(1)
      expect(yield* latencyCount("mw_self_timed")).toBe(0)
      // a self-timed handler's frames are still counted
      expect(yield* handled("mw_self_timed", "ok")).toBe(1)
    }))

  it.effect("leaves a migrating type to time its sides itself (`legacy` / `next`), not as `builtin`", () =>
    Effect.gen(function*() {
      const migrating = Migration.handler({
        type: "mw_migrating",
        legacy: counting("mw_migrating", []),
        next: counting("mw_migrating", [])
      })
      expect(migrating.timesItself).toBe(true)
      const route = Middleware.compose([timeHandler], { type: "mw_migrating", handler: migrating }, () => Effect.never)
      route.observe({ status: "ok", result: {}, reply: "ack" }, performance.now())
      expect(yield* latencyCount("mw_migrating")).toBe(0)
    }))

  it.effect("counts frames by status, and duplicates in their own counter", () =>
    Effect.gen(function*() {
      const dispatcher = yield* dispatcherOf([counting("mw_counted", [])], [countOutcomes])
      const duplicatesBefore = (yield* Metric.value(Metrics.duplicatesSuppressed)).count
      const observe = dispatcher.route("mw_counted").observe
      observe({ status: "ok", result: {}, reply: "ack" }, performance.now())
      observe({ status: "duplicate", result: {}, reply: "ack" }, performance.now())
      observe({ status: "error", error: new FrameError({ code: "INTERNAL", message: "x" }) }, performance.now())
      expect(yield* handled("mw_counted", "ok")).toBe(1)
      expect(yield* handled("mw_counted", "duplicate")).toBe(1)
      expect(yield* handled("mw_counted", "error")).toBe(1)
      expect((yield* Metric.value(Metrics.duplicatesSuppressed)).count).toBe(duplicatesBefore + 1)
    }))
})
