/**
 * Isolation for the shadow side of a migrating type: it runs with its output
 * captured and a context of its own, so nothing it does reaches the user or
 * changes what the user can see — no stream events, no runs in the user's run
 * list, no dedupe entries, no frames on the user's sockets.
 *
 * @since 0.1.0
 */
import { Context, Effect, type FiberMap } from "effect"
import { AlertSubscription, QualityAlertSubscription } from "../agent/quality/AlertSubscription.js"
import { RunRegistry, Runs } from "../agent/Runs.js"
import type { Dispatch } from "../handlers/Dispatch.js"
import { CurrentClient, type FrameProvided } from "../handlers/FrameContext.js"
import type { StreamEvent } from "../protocol/StreamEvents.js"
import * as StreamEvents from "../protocol/StreamEvents.js"
import { type ConversationOptions, ConversationMemory, Conversations } from "../state/Conversations.js"
import { CurrentStream } from "../state/CurrentStream.js"
import type { CurrentUser } from "../state/CurrentUser.js"
import type { Emitter } from "../state/Emitter.js"
import { LifecycleState } from "../state/Lifecycle.js"
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
  const top = StreamEvents.runIdOf(event)
  if (top !== undefined) return top
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
 * The services the shadow side gets of its own: every per-frame service but
 * the user (the same one) and the emitter (the comparison's recorder).
 *
 * @since 0.1.0
 */
export type Sandboxed = Exclude<FrameProvided, CurrentUser | Emitter | Dispatch>

/**
 * The shadow side's services, next to the user's real ones: its own stream
 * (with no client on it), run registry (in `fibers`, so closing the shadow's
 * scope interrupts its runs; with its own lifecycle, so shadow runs neither
 * delay a drain nor show in the user's runs or quality numbers), alert
 * subscription, conversation memory (a shadow turn must not become part of
 * the user's conversation) and a client id that names no connection. Every
 * service is made here on purpose, never copied: a new per-frame service must
 * be decided on (shared or isolated), and the compiler asks for it.
 *
 * @since 0.1.0
 */
export const sandbox = (
  userId: string,
  conversations: ConversationOptions,
  fibers: FiberMap.FiberMap<string>
): Context.Context<Sandboxed> =>
  Context.make(CurrentStream, UserStream.detached(userId, { minEvents: 0, minAgeMs: 0, maxEvents: 1000 })).pipe(
    Context.add(Runs, new RunRegistry(userId, fibers, 100, new LifecycleState())),
    Context.add(AlertSubscription, new QualityAlertSubscription()),
    Context.add(Conversations, new ConversationMemory(conversations)),
    Context.add(CurrentClient, { connectionId: `shadow-${userId}` })
  )
