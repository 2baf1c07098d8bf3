/**
 * Isolation for the shadow side of a migrating type: it runs with its output
 * captured and a context of its own, so nothing it does reaches the user or
 * changes what the user can see — no stream events, no runs in the user's run
 * list, no dedupe entries, no frames on the user's sockets.
 *
 * @since 0.1.0
 */
import { Effect, type FiberMap } from "effect"
import type { WebSocket } from "ws"
import { RunRegistry } from "../agent/Runs.js"
import { LifecycleState } from "../state/Lifecycle.js"
import type { StreamEvent } from "../protocol/ServerFrame.js"
import { AlertSubscription } from "../agent/quality/AlertSubscription.js"
import { Connection } from "../transport/Connection.js"
import { Conversations } from "../state/Conversations.js"
import type { Emitter } from "../state/Emitter.js"
import type { UserSession } from "../state/UserContext.js"
import { UserStream } from "../state/UserStream.js"

/**
 * Records the events one side of a call emits, optionally forwarding them
 * (the serving side's events still go to the user), and lets a comparison
 * wait until they satisfy a condition.
 *
 * @since 0.1.0
 */
export class Recorder {
  /** what was emitted, in order, until `close` */
  readonly events: Array<StreamEvent> = []
  private open = true
  private readonly waiters = new Set<() => boolean>()

  /** An emitter recording every event, and forwarding it to `forward` if given. */
  emitter(forward?: Emitter["Type"]): Emitter["Type"] {
    return {
      emit: (event) => {
        const record = Effect.sync(() => this.record(event))
        return forward === undefined ? record : Effect.zipRight(forward.emit(event), record)
      }
    }
  }

  /** Stops recording (the forwarding emitter keeps forwarding: a live run outlives the comparison). */
  close(): void {
    this.open = false
    this.waiters.clear()
  }

  /** Completes once `predicate` holds for the recorded events (checked on every new event). */
  waitUntil(predicate: (events: ReadonlyArray<StreamEvent>) => boolean): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      const check = (): boolean => {
        if (!predicate(this.events)) return false
        resume(Effect.void)
        return true
      }
      if (check()) return
      this.waiters.add(check)
      return Effect.sync(() => void this.waiters.delete(check))
    })
  }

  private record(event: StreamEvent): void {
    if (!this.open) return
    this.events.push(event)
    for (const waiter of this.waiters) if (waiter()) this.waiters.delete(waiter)
  }
}

const runIdOf = (event: StreamEvent): string | undefined => {
  if (event.run_id !== undefined) return event.run_id
  const nested = (event.payload as { readonly run_id?: unknown }).run_id
  return typeof nested === "string" ? nested : undefined
}

/**
 * Are all agent runs of a call finished? Its runs are the `run_id` of its
 * result and of its events; each is finished once its `agent_completed` was
 * emitted (PROTOCOL §7: it is always the last event of a run).
 *
 * @since 0.1.0
 */
export const runsFinished = (result: unknown, events: ReadonlyArray<StreamEvent>): boolean => {
  const open = new Set<string>()
  const resultRun = typeof result === "object" && result !== null
    ? (result as { readonly run_id?: unknown }).run_id
    : undefined
  if (typeof resultRun === "string") open.add(resultRun)
  for (const event of events) {
    const runId = runIdOf(event)
    if (runId !== undefined) open.add(runId)
  }
  for (const event of events) {
    if (event.type === "agent_completed") {
      const runId = runIdOf(event)
      if (runId !== undefined) open.delete(runId)
    }
  }
  return open.size === 0
}

/**
 * A user session for the shadow side, next to the user's real one: same user
 * id, but its own stream (with no connection), run registry (in `fibers`, so
 * closing the shadow's scope interrupts its runs; with its own lifecycle, so
 * shadow runs neither delay a drain nor show in the user's runs or quality
 * numbers), alert subscription and conversation memory (a shadow
 * turn must not become part of the user's conversation). Every field is built
 * here on purpose, never copied: a new field of `UserSession` must be decided
 * on (shared or isolated), and the compiler asks for it.
 *
 * @since 0.1.0
 */
export const throwawaySession = (real: UserSession, fibers: FiberMap.FiberMap<string>): UserSession => ({
  userId: real.userId,
  stream: UserStream.detached(real.userId, { minEvents: 0, minAgeMs: 0, maxEvents: 1000 }),
  runs: new RunRegistry(real.userId, fibers, 100, new LifecycleState()),
  qualityAlert: new AlertSubscription(),
  conversations: new Conversations(real.conversations.options)
})

/**
 * A socket that is already closed and drops whatever is sent to it: what the
 * shadow side gets as its `CurrentConnection`, so it can never write to (or
 * close) the user's socket.
 */
const deadSocket = {
  readyState: 3,
  CLOSED: 3,
  bufferedAmount: 0,
  send: () => {},
  close: () => {},
  terminate: () => {},
  ping: () => {}
}

/**
 * A connection of `userId` that leads nowhere (see {@link throwawaySession}).
 *
 * @since 0.1.0
 */
export const detachedConnection = (userId: string): Connection =>
  // the shape `Connection` uses of a ws socket; nothing is ever written to a real one
  new Connection(`shadow-${userId}`, userId, deadSocket as unknown as WebSocket, {
    maxBufferedBytes: Number.MAX_SAFE_INTEGER,
    maxBufferedFrames: Number.MAX_SAFE_INTEGER
  }, 0, 0, () => {})
