import { Duration, Effect, Fiber, Option, Stream, SubscriptionRef } from "effect"
import type { Scope } from "effect"
import {
  type Client,
  type ClientEvent,
  type ClientStopped,
  type ConnectionState,
  isStreamGap,
  type StreamEvent
} from "../../src/client/index.js"

/** Everything a client's stream delivered, as it arrives. */
export interface ClientRecorder {
  readonly events: () => ReadonlyArray<ClientEvent>
  /** waits (at most `timeout`) until the events so far satisfy `done` */
  readonly until: (done: (events: ReadonlyArray<ClientEvent>) => boolean, timeout?: Duration.DurationInput) => Effect.Effect<ReadonlyArray<ClientEvent>>
  /** how the stream ended, once it has */
  readonly ended: Effect.Effect<Option.Option<ClientStopped>>
}

/** Subscribes to the client's stream (subscribed on return) and records it. */
export const record = (client: Client): Effect.Effect<ClientRecorder, never, Scope.Scope> =>
  Effect.gen(function*() {
    const stream = yield* client.subscribe
    const seen = yield* SubscriptionRef.make<ReadonlyArray<ClientEvent>>([])
    const fiber = yield* Effect.forkScoped(
      Stream.runForEach(stream, (event) => SubscriptionRef.update(seen, (events) => [...events, event])).pipe(Effect.flip, Effect.option)
    )
    let current: ReadonlyArray<ClientEvent> = []
    yield* Effect.forkScoped(Stream.runForEach(seen.changes, (events) => Effect.sync(() => (current = events))))
    return {
      events: () => current,
      until: (done, timeout = "20 seconds") =>
        seen.changes.pipe(
          Stream.filter(done),
          Stream.runHead,
          Effect.flatMap(Option.match({ onNone: () => Effect.dieMessage("the stream ended"), onSome: Effect.succeed })),
          Effect.timeoutFail({
            duration: timeout,
            onTimeout: () => new Error(`timed out; the last events: ${JSON.stringify(current.slice(-5))}`)
          }),
          Effect.orDie
        ),
      ended: Fiber.join(fiber)
    }
  })

/** The run's events, in delivery order. */
export const runEvents = (events: ReadonlyArray<ClientEvent>, runId: string): Array<StreamEvent> =>
  streamEvents(events).filter((event) => event.run_id === runId)

/** The events, without the gaps. */
export const streamEvents = (events: ReadonlyArray<ClientEvent>): Array<StreamEvent> =>
  events.filter((event): event is StreamEvent => !isStreamGap(event))

/** The run has delivered its `agent_completed`. */
export const completed = (runId: string) => (events: ReadonlyArray<ClientEvent>): boolean =>
  streamEvents(events).some((event) => event.type === "agent_completed" && event.run_id === runId)

export const seconds = (n: number) => Duration.seconds(n)

/** Every state the client goes through from now on, in order. */
export const stateLog = (client: Client): Effect.Effect<Array<ConnectionState>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const log: Array<ConnectionState> = []
    yield* Effect.forkScoped(Stream.runForEach(client.state.changes, (state) => Effect.sync(() => log.push(state))))
    return log
  })

/** Waits (at most 20 s) for a state that `match`es. */
export const awaitState = (client: Client, match: (state: ConnectionState) => boolean): Effect.Effect<ConnectionState> =>
  client.state.changes.pipe(
    Stream.filter(match),
    Stream.runHead,
    Effect.map(Option.getOrThrow),
    Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => new Error("timed out waiting for a client state") }),
    Effect.orDie
  )

/** The client is greeted on a connection. */
export const isOpen = (state: ConnectionState): boolean => state._tag === "Open"
