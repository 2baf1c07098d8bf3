import { Clock, Context, Effect, Exit, Layer } from "effect"
import * as Metrics from "../observability/Metrics.js"
import * as ServerFrame from "../protocol/ServerFrame.js"
import { Backplane, currentRunEnd } from "../store/Backplane.js"
import type { LeaseGuard } from "../store/Backplane.js"
import {
  type LeasedRun,
  type LostRun,
  type QuotaRefusal,
  type RunOwnerUnreachable,
  RunLeases,
  type RunQuota,
  type StopAnswer
} from "../store/RunLeases.js"

/**
 * A node's agent runs among the cluster's (issue 14): each run stays on the
 * node that started it. This records the node's runs in the `RunLeases`
 * store (admitted against the user's limits on every node), answers other
 * nodes' `stop_agent` for them, forwards this node's `stop_agent` for runs
 * elsewhere to their owner, and ends the runs of a dead node that this node
 * claimed with `agent_completed` `failed` `NODE_LOST` on the user's stream.
 *
 * Which node ends a lost run: whichever survivor comes first — the one whose sweep finds the
 * owner's lease expired claims it in one Redis script. Not only a node that
 * serves the user: the user may be connected nowhere right now, and the run
 * must still end in the stream's history, for the next `resume` to see.
 *
 * A run of this node ends with its `agent_completed` (`publishEnd`): the
 * store records the end in the script that publishes it (`takeEnd` hands out
 * the marker, `currentRunEnd`), never one without the other — if the event
 * is refused (the lease left this node) the claimer's `NODE_LOST` is the
 * end; if Redis does not confirm it, the backplane owes it and publishes it
 * again.
 */

/** One user's runs on this node, as another node's stop request (or the node's lapsed lease) reaches them. */
export interface LocalRuns {
  readonly userId: string
  readonly stopHere: (runId: string, acknowledged: Effect.Effect<void>) => Effect.Effect<StopAnswer>
  /** the run is no longer this node's (its lease lapsed): it stops without another event */
  readonly forfeit: (runId: string) => Effect.Effect<void>
}

/** Where a `stop_agent` for a run this node does not hold ended up. */
export type RemoteOutcome = { readonly _tag: "NotFound" } | { readonly _tag: "Found"; readonly stopped: boolean }

/** The runs of this node among the cluster's. */
export class NodeRuns {
  /** this node's runs, by run id, running or ended with their `agent_completed` not out yet: whose they are (served to other nodes' stop requests) */
  private readonly here = new Map<string, LocalRuns>()

  constructor(readonly leases: RunLeases["Type"]) {}

  /** Whether runs may be elsewhere (cluster mode): in memory mode a registry needs nothing of this. */
  get shared(): boolean {
    return this.leases.shared
  }

  /** Admits a run of `owner`'s user against the limits on every node, and records it here. */
  admit(owner: LocalRuns, runId: string, quota: RunQuota, now: number): Effect.Effect<QuotaRefusal | undefined> {
    return Effect.map(this.leases.admit(owner.userId, runId, quota, now), (refusal) => {
      if (refusal === undefined) this.here.set(runId, owner)
      return refusal
    })
  }

  /** The guard of a run `admit` just admitted, for its events (`currentLeaseGuard`): taken once. */
  takeGuard(runId: string): LeaseGuard | undefined {
    return this.leases.takeGuard(runId)
  }

  /**
   * This node's lease lapsed: `runs` may have been ended `NODE_LOST` by a
   * survivor already, so they stop here without another event (their end is
   * the claimer's to publish).
   */
  forfeit(runs: ReadonlyArray<LeasedRun>): Effect.Effect<void> {
    return Effect.forEach(runs, ({ runId }) =>
      Effect.suspend(() => {
        const owner = this.here.get(runId)
        this.here.delete(runId)
        return owner === undefined ? Effect.void : owner.forfeit(runId)
      }), { discard: true })
  }

  /**
   * A run of this node ended: its `agent_completed` goes out and its end is
   * recorded, as one sequence. The store hands out the run's end marker
   * (`takeEnd`); `first` runs (what must precede the event: a stop's ack, a
   * missing `agent_started`), then `emitCompleted` with the marker set
   * (`currentRunEnd`), so that the backplane records the end in the same
   * Redis script that publishes the event — the user's slot among their runs
   * at once is free on every node by the time anyone can see the run end,
   * and an end is never recorded without its event (one Redis did not
   * confirm is owed by the backplane and published again). If either dies
   * or is interrupted on its way, the event may not be out: the end is
   * recorded without it (the marker's `withoutEvent`), so the slot is not held while
   * this node lives. With no marker (memory mode, or a run the store never
   * recorded) the store settled the end itself. The run stays here until
   * after the event, either way: a stop request that found it running before
   * the end was recorded still finds it here, and learns it ended
   * (`stopped: false`); one that looks it up after finds it ended.
   */
  publishEnd<A, E, R>(
    userId: string,
    runId: string,
    emitCompleted: Effect.Effect<A, E, R>,
    first: Effect.Effect<void, E, R> = Effect.void
  ): Effect.Effect<A, E, R> {
    return Effect.gen(this, function*() {
      const runEnd = yield* this.leases.takeEnd(userId, runId)
      const publish = Effect.zipRight(
        first,
        runEnd === undefined ? emitCompleted : Effect.locally(emitCompleted, currentRunEnd, runEnd)
      )
      const recorded = runEnd === undefined ? publish : Effect.onExit(publish, (exit) =>
        Exit.isFailure(exit) ? runEnd.withoutEvent : Effect.void)
      return yield* Effect.ensuring(recorded, Effect.sync(() => this.here.delete(runId)))
    })
  }

  /** Another node's stop request for a run here. */
  readonly serve = (userId: string, runId: string, acknowledged: Effect.Effect<void>): Effect.Effect<StopAnswer> => {
    const owner = this.here.get(runId)
    if (owner === undefined || owner.userId !== userId) return Effect.succeed("NotFound")
    return owner.stopHere(runId, acknowledged)
  }

  /**
   * `stop_agent` for `userId`'s run `runId` that this node does not hold:
   * asks the owner and answers as the owner would (PROTOCOL §4 `{stopped}`).
   * A run the owner stops waits for `replied` (this node's ack) before its
   * `cancelled`, so the ack still comes first. An owner that does not answer
   * within the bound is `RunOwnerUnreachable` (if it died, its runs end `NODE_LOST`).
   * A run that ends between the look-up and the owner's answer is `stopped: false`.
   */
  stopElsewhere(
    userId: string,
    runId: string,
    replied: Effect.Effect<void>
  ): Effect.Effect<RemoteOutcome, RunOwnerUnreachable> {
    return Effect.gen(this, function*() {
      const where = yield* this.leases.locate(userId, runId)
      if (where._tag === "Unknown") return { _tag: "NotFound" } as const
      if (where._tag === "Ended") return { _tag: "Found", stopped: false } as const
      const answer = yield* this.askOwner(where.owner, userId, runId, replied)
      if (answer !== "NotFound") return toOutcome(answer)
      // the owner let the run go after the look-up: it ended meanwhile, so it is `stopped: false`, not
      // NOT_FOUND (PROTOCOL §4) — recorded ended with its event, or still recorded running under the same
      // owner while its end is owed (Redis did not confirm the event yet) or it was forfeited (lease lapsed)
      const after = yield* this.leases.locate(userId, runId)
      const ended = after._tag === "Ended" || (after._tag === "Running" && after.owner === where.owner)
      return ended ? { _tag: "Found", stopped: false } as const : { _tag: "NotFound" } as const
    })
  }

  /** The owner's answer to a stop request (this node's own `serve` when the owner is this node). */
  private askOwner(
    owner: string,
    userId: string,
    runId: string,
    replied: Effect.Effect<void>
  ): Effect.Effect<StopAnswer, RunOwnerUnreachable> {
    return Effect.gen(this, function*() {
      if (owner === this.leases.owner) {
        // recorded here but not in the user's registry on this node: a session that ended meanwhile
        return yield* this.serve(userId, runId, replied)
      }
      const remote = yield* this.leases.requestStop(owner, userId, runId)
      if (remote.answer === "Stopped") {
        // the owner holds the run's `cancelled` until this frame's ack is out
        yield* Effect.forkDaemon(Effect.zipRight(replied, remote.acknowledged))
      }
      return remote.answer
    })
  }

  /** Ends a run of a dead node on its user's stream; true once the stream has its end (0: not confirmed, given again). */
  readonly endLost = (run: LostRun): Effect.Effect<boolean, never, Backplane> =>
    Effect.gen(function*() {
      const backplane = yield* Backplane
      const at = yield* Clock.currentTimeMillis
      const event: ServerFrame.StreamEvent = {
        type: "agent_completed",
        run_id: run.runId,
        payload: {
          run_id: run.runId,
          status: "failed",
          error: { code: "NODE_LOST", message: "the node running this agent run stopped answering; the run was lost" }
        }
      }
      // a claim is given again until this succeeded: the token makes a second publish of it the first's
      const seq = yield* backplane.publish(run.userId, {
        head: ServerFrame.streamEventHead(event.type),
        tail: ServerFrame.streamEventTail(event, new Date(at).toISOString()),
        at,
        token: `lost:${run.runId}`
      })
      if (seq === 0) return false
      yield* Metrics.increment(Metrics.runsTotal, { status: "failed" })
      yield* Effect.logWarning("agent run lost with its node", { run_id: run.runId, owner: run.owner })
      return true
    })
}

const toOutcome = (answer: StopAnswer): RemoteOutcome =>
  answer === "NotFound" ? { _tag: "NotFound" } : { _tag: "Found", stopped: answer === "Stopped" }

/** This node's runs among the cluster's. */
export class RunCluster extends Context.Tag("switchyard/RunCluster")<RunCluster, NodeRuns>() {
  /** On the node's `RunLeases`: serving stop requests and ending lost runs while the layer lives. */
  static readonly layer: Layer.Layer<RunCluster, never, RunLeases | Backplane> = Layer.scoped(
    RunCluster,
    Effect.gen(function*() {
      const leases = yield* RunLeases
      const backplane = yield* Backplane
      const runs = new NodeRuns(leases)
      yield* leases.serveStops(runs.serve)
      yield* leases.lost((run) => Effect.provideService(runs.endLost(run), Backplane, backplane))
      yield* leases.lapses((lapsed) => runs.forfeit(lapsed))
      return runs
    })
  )
}
