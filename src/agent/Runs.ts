import { Cause, Context, Effect, Exit, FiberId, FiberMap, Option } from "effect"
import type { Conversations } from "../state/Conversations.js"
import type { LifecycleState } from "../state/Lifecycle.js"
import * as Metrics from "../observability/Metrics.js"
import { randomUUID } from "node:crypto"
import type { AgentCompleted } from "../protocol/AgentEvents.js"
import type { StreamEvent } from "../protocol/StreamEvents.js"
import { type Agent, type AgentEvent, AgentError, type AgentRequest, runForEach } from "./Agent.js"
import type { RunRecord } from "./RunRecord.js"
import * as RunLimits from "./RunLimits.js"
import type { LocalRuns, NodeRuns } from "./RunCluster.js"
import type { RunOwnerUnreachable } from "../store/RunLeases.js"
import { currentLeaseGuard, type LeaseGuard } from "../store/Backplane.js"

/** What `start` needs from the frame that starts a run. */
export interface RunStart {
  readonly request: Omit<AgentRequest, "runId" | "userId">
  readonly agent: Agent["Type"]
  readonly emit: (event: StreamEvent) => Effect.Effect<void>
  /** completes once the starting frame has been answered: no event precedes its ack */
  readonly replied: Effect.Effect<void>
}

/** Told about each run of a user that ended (see `RunRegistry.onRunEnded`). */
export type RunEndedListener = (record: RunRecord) => Effect.Effect<void>

/** The outcome of `stop`: was the run still going? */
export type StopOutcome = { readonly _tag: "NotFound" } | { readonly _tag: "Found"; readonly stopped: boolean }

/**
 * The agent runs of one user. Each run is a fiber in the user session's
 * `FiberMap`, so releasing the context interrupts them; records of the last
 * `maxRecords` runs stay for `stop_agent` and the quality handlers. The user's
 * run limits (`limits`) live here too, with the runs they count.
 */
export class RunRegistry {
  private readonly records = new Map<string, RunRecord>()
  /** the reply of the `stop_agent` that cancelled a run: its `cancelled` waits for it */
  private readonly stopReplies = new Map<string, Effect.Effect<void>>()
  /** runs no longer this node's (its lease lapsed): they end without an event, their claimer publishes it */
  private readonly forfeited = new Set<string>()
  /** called after each run's `agent_completed` (the `quality_alert` subscription listens here) */
  private readonly endedListeners = new Set<RunEndedListener>()

  /** the map the runs' fibers live in */
  private readonly fibers: Effect.Effect<FiberMap.FiberMap<string>>
  /** runs started per minute and going at once (PROTOCOL §10) */
  private readonly limiter: RunLimits.RunLimiter

  /**
   * `fibers`: the map of the runs' fibers, or the effect that gives it (made on
   * the first run). `limits`: the user's run limits; none by default (a
   * throwaway registry, such as the migration's shadow side, must not spend the user's).
   * `cluster`: the node's runs among the cluster's (cluster mode: the limits
   * count the user's runs on every node, and `stop` reaches runs elsewhere);
   * none for a throwaway registry.
   */
  constructor(
    readonly userId: string,
    fibers: FiberMap.FiberMap<string> | Effect.Effect<FiberMap.FiberMap<string>>,
    private readonly maxRecords: number,
    private readonly lifecycle: LifecycleState,
    limits: RunLimits.Options = RunLimits.unlimited,
    private readonly cluster: NodeRuns | undefined = undefined
  ) {
    this.fibers = Effect.isEffect(fibers) ? fibers : Effect.succeed(fibers)
    this.limiter = new RunLimits.RunLimiter(limits)
    this.asLocalRuns = {
      userId,
      stopHere: (runId, acknowledged) =>
        Effect.map(this.stopLocal(runId, acknowledged), (outcome) =>
          outcome._tag === "NotFound" ? "NotFound" : outcome.stopped ? "Stopped" : "AlreadyEnded"),
      forfeit: (runId) => this.forfeit(runId)
    }
  }

  /** These runs as other nodes' stop requests reach them. */
  private readonly asLocalRuns: LocalRuns

  /** How many of this user's runs are going now. */
  get running(): number {
    return this.limiter.active
  }

  /** The records of the user's recent runs, oldest first. */
  get all(): ReadonlyArray<RunRecord> {
    return Array.from(this.records.values())
  }

  /** One run's record. */
  get(runId: string): RunRecord | undefined {
    return this.records.get(runId)
  }

  /**
   * Calls `listener` each time a run of this user ends, right after its
   * `agent_completed` was emitted (in the run's fiber, so its events follow the
   * run's). Returns the function that removes it.
   */
  onRunEnded(listener: RunEndedListener): () => void {
    this.endedListeners.add(listener)
    return () => void this.endedListeners.delete(listener)
  }

  /**
   * Starts a run in the background and returns its id; over the user's run
   * limits, nothing starts. The run sees the user's `Conversations` (a
   * model-backed agent sends a thread's earlier turns).
   */
  start(start: RunStart): Effect.Effect<string, RunLimits.RunLimitExceeded, Conversations> {
    return Effect.clockWith((clock) =>
      Effect.suspend(() => {
        const now = clock.unsafeCurrentTimeMillis()
        const refused = this.limiter.tryStart(now)
        if (refused !== undefined) return Effect.fail(refused)
        const runId = `r-${randomUUID()}`
        const cluster = this.cluster
        if (cluster === undefined || !cluster.shared) return this.launch(runId, start, clock.unsafeCurrentTimeMillis())
        // cluster mode: the user's runs on every node count too (one Redis script per run start)
        return Effect.flatMap(cluster.admit(this.asLocalRuns, runId, this.limiter.options, now), (refusal) => {
          if (refusal === undefined) {
            return this.launch(runId, start, clock.unsafeCurrentTimeMillis(), cluster.takeGuard(runId))
          }
          this.limiter.ended()
          return Effect.fail(
            new RunLimits.RunLimitExceeded({
              reason: refusal.reason,
              limit: refusal.reason === "Concurrent" ? this.limiter.options.concurrent : this.limiter.options.perMinute,
              retryAfterMs: Math.max(1, Math.ceil(refusal.retryAfterMs))
            })
          )
        })
      })
    )
  }

  // the admitted run: recorded, counted and forked into the user's map; its events carry its lease's
  // guard (cluster mode), so none is published once the lease left this node
  private launch(
    runId: string,
    start: RunStart,
    now: number,
    guard?: LeaseGuard | undefined
  ): Effect.Effect<string, never, Conversations> {
    return Effect.suspend(() => {
        const agentName = start.request.agent ?? start.agent.defaultName
        const record: RunRecord = {
          runId,
          threadId: start.request.threadId,
          agent: agentName,
          status: "running",
          startedAt: now,
          endedAt: undefined,
          tools: [],
          responseText: undefined,
          errorCode: undefined
        }
        this.remember(record)
        this.lifecycle.runningRuns++
        const program = guard === undefined
          ? this.program(record, start)
          : Effect.locally(this.program(record, start), currentLeaseGuard, guard)
        return Effect.flatMap(this.fibers, (fibers) => Effect.as(FiberMap.run(fibers, runId, program), runId))
      })
  }

  /**
   * Stops a run of this user: `stopped` is false when it had already ended.
   * In cluster mode a run this node does not hold is stopped on its owner's node.
   */
  stop(runId: string, replied: Effect.Effect<void>): Effect.Effect<StopOutcome, RunOwnerUnreachable> {
    const cluster = this.cluster
    if (cluster === undefined || !cluster.shared || this.records.has(runId)) return this.stopLocal(runId, replied)
    return cluster.stopElsewhere(this.userId, runId, replied)
  }

  private stopLocal(runId: string, replied: Effect.Effect<void>): Effect.Effect<StopOutcome> {
    return Effect.gen(this, function*() {
      const record = this.records.get(runId)
      if (record === undefined) return { _tag: "NotFound" } as const
      if (record.status !== "running") return { _tag: "Found", stopped: false } as const
      const fiber = yield* Effect.option(FiberMap.get(yield* this.fibers, runId))
      if (Option.isNone(fiber)) return { _tag: "Found", stopped: false } as const
      this.stopReplies.set(runId, replied)
      // interrupt without waiting: the run's `cancelled` must wait for this frame's ack
      fiber.value.unsafeInterruptAsFork(FiberId.none)
      return { _tag: "Found", stopped: true } as const
    })
  }

  /**
   * The run is no longer this node's (cluster mode: the node's lease lapsed,
   * so a survivor may have ended it `NODE_LOST` already): it stops, and ends
   * without an event of its own — its end is the claimer's to publish, once.
   */
  private forfeit(runId: string): Effect.Effect<void> {
    return Effect.gen(this, function*() {
      const record = this.records.get(runId)
      if (record === undefined || record.status !== "running") return
      this.forfeited.add(runId)
      const fiber = yield* Effect.option(FiberMap.get(yield* this.fibers, runId))
      if (Option.isSome(fiber)) fiber.value.unsafeInterruptAsFork(FiberId.none)
    })
  }

  private program(record: RunRecord, start: RunStart): Effect.Effect<void, never, Conversations> {
    const { emit } = start
    const runId = record.runId
    let started = false
    let text = ""
    const emitStarted = Effect.suspend(() => {
      if (started) return Effect.void
      started = true
      const payload = record.threadId === undefined
        ? { run_id: runId, agent: record.agent }
        : { run_id: runId, thread_id: record.threadId, agent: record.agent }
      return emit({ type: "agent_started", run_id: runId, payload })
    })
    const onEvent = (event: AgentEvent): Effect.Effect<void> => {
      switch (event._tag) {
        case "Thinking":
          return emit({ type: "agent_thinking", run_id: runId, payload: { text: event.text } })
        case "ToolExecuting":
          record.tools.push(event.tool)
          return emit({
            type: "tool_executing",
            run_id: runId,
            payload: { tool_call_id: event.toolCallId, tool: event.tool, input: event.input }
          })
        case "ToolCompleted":
          return emit({
            type: "tool_completed",
            run_id: runId,
            payload: { tool_call_id: event.toolCallId, tool: event.tool, output: event.output, ok: event.ok }
          })
        case "MessageDelta":
          text += event.text
          return emit({ type: "agent_message_delta", run_id: runId, payload: { text: event.text } })
      }
    }
    const run = runForEach(start.agent, { ...start.request, runId, userId: this.userId }, onEvent)
    return start.replied.pipe(
      Effect.zipRight(emitStarted),
      Effect.zipRight(run),
      Effect.onExit((exit) => this.finish(record, exit, emitStarted, () => text, emit)),
      Effect.ignore,
      Effect.annotateLogs({ run_id: runId })
    )
  }

  // The one `agent_completed` of a run: runs uninterruptibly, after everything else it emitted.
  private finish(
    record: RunRecord,
    exit: Exit.Exit<void, AgentError>,
    emitStarted: Effect.Effect<void>,
    text: () => string,
    emit: (event: StreamEvent) => Effect.Effect<void>
  ): Effect.Effect<void> {
    return Effect.clockWith((clock) =>
      Effect.gen(this, function*() {
        record.endedAt = clock.unsafeCurrentTimeMillis()
        this.lifecycle.runningRuns--
        this.limiter.ended()
        const runId = record.runId
        if (this.forfeited.delete(runId)) {
          // its end is its claimer's: nothing more from here, not even the record of its end
          record.status = "failed"
          record.errorCode = "NODE_LOST"
          this.stopReplies.delete(runId)
          yield* Metrics.increment(Metrics.runsTotal, { status: "failed" })
          yield* Effect.logWarning("agent run stopped: this node's lease lapsed; it ends NODE_LOST")
          return
        }
        let payload: AgentCompleted
        if (Exit.isSuccess(exit)) {
          record.status = "completed"
          record.responseText = text()
          payload = { run_id: runId, status: "completed", response: { text: record.responseText } }
        } else if (Cause.isInterruptedOnly(exit.cause)) {
          record.status = "cancelled"
          payload = { run_id: runId, status: "cancelled" }
        } else {
          const failure = Cause.failureOption(exit.cause)
          const error = Option.isSome(failure) && failure.value instanceof AgentError
            ? failure.value
            : new AgentError({ code: "INTERNAL", message: "the agent crashed" })
          // (its status first: a stop request from here on finds it ended)
          record.status = "failed"
          record.errorCode = error.code
          if (Option.isNone(failure)) yield* Effect.logError("agent run died", exit.cause)
          payload = { run_id: runId, status: "failed", error: { code: error.code, message: error.message } }
        }
        const stopReply = this.stopReplies.get(runId)
        this.stopReplies.delete(runId)
        // the `stop_agent` that cancelled it is acked first
        const first = stopReply !== undefined && record.status === "cancelled"
          ? Effect.zipRight(stopReply, emitStarted)
          : emitStarted
        const emitCompleted = emit({ type: "agent_completed", run_id: runId, payload })
        // cluster mode: the end is recorded by the event's own publish (one Redis script), so the user's slot
        // among their runs at once is free on every node once anyone can see it, and never recorded without
        // it; the run stays locatable here until the event is out, or failed to go out
        const cluster = this.cluster?.shared === true ? this.cluster : undefined
        yield* cluster === undefined
          ? Effect.zipRight(first, emitCompleted)
          : cluster.publishEnd(this.userId, runId, emitCompleted, first)
        yield* Metrics.increment(Metrics.runsTotal, { status: record.status })
        yield* Effect.logDebug("agent run ended", { status: record.status, latency_ms: record.endedAt - record.startedAt })
        for (const listener of Array.from(this.endedListeners)) {
          // a listener's defect must not undo the run's ending
          yield* Effect.catchAllCause(listener(record), (cause) => Effect.logError("run-ended listener failed", cause))
        }
      })
    )
  }

  private remember(record: RunRecord): void {
    this.records.set(record.runId, record)
    if (this.records.size <= this.maxRecords) return
    for (const [runId, old] of this.records) {
      if (this.records.size <= this.maxRecords) break
      if (old.status !== "running") this.records.delete(runId)
    }
  }
}

/** The agent runs of the user a frame came from: provided per user, with the user's other services. */
export class Runs extends Context.Tag("switchyard/Runs")<Runs, RunRegistry>() {}
