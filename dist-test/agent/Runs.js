import { Cause, Effect, Exit, FiberId, FiberMap, Option, Stream } from "effect";
import * as Metrics from "../observability/Metrics.js";
import { randomUUID } from "node:crypto";
import { AgentError } from "./Agent.js";
class RunRegistry {
  constructor(userId, fibers, maxRecords, lifecycle) {
    this.userId = userId;
    this.fibers = fibers;
    this.maxRecords = maxRecords;
    this.lifecycle = lifecycle;
  }
  userId;
  fibers;
  maxRecords;
  lifecycle;
  records = /* @__PURE__ */ new Map();
  /** the reply of the `stop_agent` that cancelled a run: its `cancelled` waits for it */
  stopReplies = /* @__PURE__ */ new Map();
  /** called after each run's `agent_completed` (the `quality_alert` subscription listens here) */
  endedListeners = /* @__PURE__ */ new Set();
  /** The records of the user's recent runs, oldest first. */
  get all() {
    return Array.from(this.records.values());
  }
  /** One run's record. */
  get(runId) {
    return this.records.get(runId);
  }
  /**
   * Calls `listener` each time a run of this user ends, right after its
   * `agent_completed` was emitted (in the run's fiber, so its events follow the
   * run's). Returns the function that removes it.
   */
  onRunEnded(listener) {
    this.endedListeners.add(listener);
    return () => void this.endedListeners.delete(listener);
  }
  /** Starts a run in the background and returns its id. */
  start(start) {
    return Effect.clockWith(
      (clock) => Effect.suspend(() => {
        const runId = `r-${randomUUID()}`;
        const agentName = start.request.agent ?? start.agent.defaultName;
        const record = {
          runId,
          threadId: start.request.threadId,
          agent: agentName,
          status: "running",
          startedAt: clock.unsafeCurrentTimeMillis(),
          endedAt: void 0,
          tools: [],
          responseText: void 0,
          errorCode: void 0
        };
        this.remember(record);
        this.lifecycle.runningRuns++;
        return Effect.as(FiberMap.run(this.fibers, runId, this.program(record, start)), runId);
      })
    );
  }
  /** Stops a run of this user: `stopped` is false when it had already ended. */
  stop(runId, replied) {
    return Effect.gen(this, function* () {
      const record = this.records.get(runId);
      if (record === void 0) return { _tag: "NotFound" };
      if (record.status !== "running") return { _tag: "Found", stopped: false };
      const fiber = yield* Effect.option(FiberMap.get(this.fibers, runId));
      if (Option.isNone(fiber)) return { _tag: "Found", stopped: false };
      this.stopReplies.set(runId, replied);
      fiber.value.unsafeInterruptAsFork(FiberId.none);
      return { _tag: "Found", stopped: true };
    });
  }
  program(record, start) {
    const { emit } = start;
    const runId = record.runId;
    let started = false;
    let text = "";
    const emitStarted = Effect.suspend(() => {
      if (started) return Effect.void;
      started = true;
      const payload = record.threadId === void 0 ? { run_id: runId, agent: record.agent } : { run_id: runId, thread_id: record.threadId, agent: record.agent };
      return emit({ type: "agent_started", run_id: runId, payload });
    });
    const onEvent = (event) => {
      switch (event._tag) {
        case "Thinking":
          return emit({ type: "agent_thinking", run_id: runId, payload: { text: event.text } });
        case "ToolExecuting":
          record.tools.push(event.tool);
          return emit({
            type: "tool_executing",
            run_id: runId,
            payload: { tool_call_id: event.toolCallId, tool: event.tool, input: event.input }
          });
        case "ToolCompleted":
          return emit({
            type: "tool_completed",
            run_id: runId,
            payload: { tool_call_id: event.toolCallId, tool: event.tool, output: event.output, ok: event.ok }
          });
        case "MessageDelta":
          text += event.text;
          return emit({ type: "agent_message_delta", run_id: runId, payload: { text: event.text } });
      }
    };
    const run = start.agent.run({ ...start.request, runId, userId: this.userId });
    return start.replied.pipe(
      Effect.zipRight(emitStarted),
      Effect.zipRight(Stream.runForEach(run, onEvent)),
      Effect.onExit((exit) => this.finish(record, exit, emitStarted, () => text, emit)),
      Effect.ignore,
      Effect.annotateLogs({ run_id: runId })
    );
  }
  // The one `agent_completed` of a run: runs uninterruptibly, after everything else it emitted.
  finish(record, exit, emitStarted, text, emit) {
    return Effect.clockWith(
      (clock) => Effect.gen(this, function* () {
        record.endedAt = clock.unsafeCurrentTimeMillis();
        this.lifecycle.runningRuns--;
        const runId = record.runId;
        let payload;
        if (Exit.isSuccess(exit)) {
          record.status = "completed";
          record.responseText = text();
          payload = { run_id: runId, status: "completed", response: { text: record.responseText } };
        } else if (Cause.isInterruptedOnly(exit.cause)) {
          record.status = "cancelled";
          const stopReply = this.stopReplies.get(runId);
          this.stopReplies.delete(runId);
          if (stopReply !== void 0) yield* stopReply;
          payload = { run_id: runId, status: "cancelled" };
        } else {
          const failure = Cause.failureOption(exit.cause);
          const error = Option.isSome(failure) && failure.value instanceof AgentError ? failure.value : new AgentError({ code: "INTERNAL", message: "the agent crashed" });
          if (Option.isNone(failure)) yield* Effect.logError("agent run died", exit.cause);
          record.status = "failed";
          record.errorCode = error.code;
          payload = { run_id: runId, status: "failed", error: { code: error.code, message: error.message } };
        }
        yield* emitStarted;
        yield* emit({ type: "agent_completed", run_id: runId, payload });
        yield* Metrics.increment(Metrics.runsTotal, { status: record.status });
        yield* Effect.logDebug("agent run ended", { status: record.status, latency_ms: record.endedAt - record.startedAt });
        for (const listener of Array.from(this.endedListeners)) {
          yield* Effect.catchAllCause(listener(record), (cause) => Effect.logError("run-ended listener failed", cause));
        }
      })
    );
  }
  remember(record) {
    this.records.set(record.runId, record);
    if (this.records.size <= this.maxRecords) return;
    for (const [runId, old] of this.records) {
      if (this.records.size <= this.maxRecords) break;
      if (old.status !== "running") this.records.delete(runId);
    }
  }
}
export {
  RunRegistry
};
//# sourceMappingURL=Runs.js.map
