import { Context, Effect, type Either, Mailbox, type ParseResult, Schema, Stream } from "effect"
import type { Conversations } from "../state/Conversations.js"

/** What a run is asked to do (`user_message`, `start_agent`, `agent_request`). */
export interface AgentRequest {
  readonly runId: string
  readonly userId: string
  readonly text: string
  readonly agent: string | undefined
  readonly threadId: string | undefined
  readonly params: Readonly<Record<string, unknown>>
}

/** One step of a run, as the agent produces it (PROTOCOL §7 without the envelope). */
export type AgentEvent =
  | { readonly _tag: "Thinking"; readonly text: string }
  | { readonly _tag: "ToolExecuting"; readonly toolCallId: string; readonly tool: string; readonly input: unknown }
  | {
    readonly _tag: "ToolCompleted"
    readonly toolCallId: string
    readonly tool: string
    readonly output: unknown
    readonly ok: boolean
  }
  | { readonly _tag: "MessageDelta"; readonly text: string }

/** Why a run failed: its `agent_completed {status: "failed", error: {code, message}}`. */
export class AgentError extends Schema.TaggedError<AgentError>()("AgentError", {
  code: Schema.String,
  message: Schema.String
}) {}

/**
 * The agent behind runs: a run is a stream of events; the answer is the
 * concatenation of its `MessageDelta`s. Interrupting the stream cancels the run.
 * Provide another implementation as a Layer to swap the model.
 */
export class Agent extends Context.Tag("switchyard/Agent")<Agent, {
  /** the `agent` name reported in `agent_started` when the request names none */
  readonly defaultName: string
  /**
   * Optional: checks a run request's `params` (a client's choice) before the
   * run starts; a failure refuses the request with `INVALID_MESSAGE` naming
   * the field (`details.path` under `payload.params`).
   */
  readonly decodeParams?: (params: unknown) => Either.Either<unknown, ParseResult.ParseError>
  /** A run may read the user's conversation memory (a model-backed agent does); runs have it in context. */
  readonly run: (request: AgentRequest) => Stream.Stream<AgentEvent, AgentError, Conversations>
  /**
   * Optional: the same run as `Stream.runForEach(run(request), f)`, each
   * event handed to `f` in the run's own fiber — no Stream of events, no
   * mailbox between the run and its consumer. Runs take it when it is there:
   * a Stream of events costs about 0.3 ms of CPU before its first event, and
   * a mailbox costs a fiber hop per event.
   */
  readonly runForEach?: (
    request: AgentRequest,
    f: (event: AgentEvent) => Effect.Effect<void>
  ) => Effect.Effect<void, AgentError, Conversations>
}>() {}

/** Runs `request` on `agent`, handing each event to `f` in order (how `RunRegistry` plays a run). */
export const runForEach = (
  agent: Agent["Type"],
  request: AgentRequest,
  f: (event: AgentEvent) => Effect.Effect<void>
): Effect.Effect<void, AgentError, Conversations> =>
  agent.runForEach === undefined ? Stream.runForEach(agent.run(request), f) : agent.runForEach(request, f)

/**
 * The `run` of an agent written as a loop that hands each event to a
 * function (its `runForEach`): the loop runs in a fiber of its own and hands
 * its events over through a small mailbox, so it stays at most a few events
 * ahead of the stream's reader; ending the stream interrupts the loop.
 */
export const streamOf = <R>(
  loop: (emit: (event: AgentEvent) => Effect.Effect<void>) => Effect.Effect<void, AgentError, R>
): Stream.Stream<AgentEvent, AgentError, R> =>
  Effect.gen(function*() {
    const mailbox = yield* Mailbox.make<AgentEvent, AgentError>(16)
    yield* loop((event) => Effect.asVoid(mailbox.offer(event))).pipe(Mailbox.into(mailbox), Effect.forkScoped)
    return Mailbox.toStream(mailbox)
  }).pipe(Stream.unwrapScoped)
