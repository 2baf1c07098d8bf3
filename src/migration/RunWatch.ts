/**
 * How the agent runs one call started ended. For a type whose handler starts
 * an agent run the ack goes out at once, but whether the implementation failed
 * is only known at the run's `agent_completed` (PROTOCOL §8: a run that ends
 * `failed` counts in stats, breaker and rollback). A call's emitter is wrapped
 * so that it sees every `agent_completed` its runs (or a legacy backend's
 * events) emit — the one place both kinds of run pass through.
 *
 * @since 0.1.0
 */
import { Deferred, Effect, Exit, FiberId } from "effect"
import type { StreamEvent } from "../protocol/StreamEvents.js"
import * as StreamEvents from "../protocol/StreamEvents.js"
import type { Emitter } from "../state/Emitter.js"

const runIdOf = (event: StreamEvent): string | undefined => {
  const top = StreamEvents.runIdOf(event)
  if (top !== undefined) return top
  const nested = (event.payload as { readonly run_id?: unknown }).run_id
  return typeof nested === "string" ? nested : undefined
}

/**
 * The `run_id` of a call's result, when the call started a run.
 *
 * @since 0.1.0
 */
export const startedRun = (result: unknown): string | undefined => {
  if (typeof result !== "object" || result === null) return undefined
  const runId = (result as { readonly run_id?: unknown }).run_id
  return typeof runId === "string" ? runId : undefined
}

/**
 * The `agent_completed` statuses seen by one call's emitter, by run id. It
 * holds only what that call's runs emit (one entry per run), and is dropped
 * with the call's emitter once its runs are over.
 *
 * @since 0.1.0
 */
export class RunWatch {
  private readonly ends = new Map<string, Deferred.Deferred<string>>()
  private readonly statuses = new Map<string, string>()

  /** An emitter that notes each `agent_completed` and forwards every event to `forward`. */
  emitter(forward: Emitter["Type"]): Emitter["Type"] {
    return {
      emit: (event) =>
        event.type === "agent_completed"
          ? Effect.zipRight(Effect.sync(() => this.note(event)), forward.emit(event))
          : forward.emit(event)
    }
  }

  /** Completes with the status (`completed`, `failed`, `cancelled`) of the run's `agent_completed`. */
  end(runId: string): Effect.Effect<string> {
    return Effect.suspend(() => Deferred.await(this.deferred(runId)))
  }

  /** The status of the run's `agent_completed` if it was emitted already. */
  seen(runId: string): string | undefined {
    return this.statuses.get(runId)
  }

  private deferred(runId: string): Deferred.Deferred<string> {
    let end = this.ends.get(runId)
    if (end === undefined) {
      end = Deferred.unsafeMake<string>(FiberId.none)
      this.ends.set(runId, end)
    }
    return end
  }

  private note(event: StreamEvent): void {
    const runId = runIdOf(event)
    if (runId === undefined) return
    const raw = (event.payload as { readonly status?: unknown }).status
    const status = typeof raw === "string" ? raw : "unknown"
    this.statuses.set(runId, status)
    Deferred.unsafeDone(this.deferred(runId), Exit.succeed(status))
  }
}
