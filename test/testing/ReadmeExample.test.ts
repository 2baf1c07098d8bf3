import { expect, it } from "@effect/vitest"
import { Effect, Layer, Schema, Stream } from "effect"
import { Agent, CurrentUser, Handler, Results, startRun } from "../../src/index.js"
import * as SwitchyardTest from "../../src/testing.js"

// a handler that starts an agent run on the user's question
const ask = Handler.make("ask", {
  payload: Schema.Struct({ question: Schema.String }),
  success: Results.RunStarted,
  handle: ({ question }) =>
    Effect.flatMap(CurrentUser, ({ userId }) =>
      startRun({ text: `${userId}: ${question}`, agent: undefined, threadId: undefined, params: {} }))
})

// a mocked agent: answers with the text it was given
const EchoAgent = Layer.succeed(Agent, {
  defaultName: "echo",
  run: (request) => Stream.make({ _tag: "MessageDelta" as const, text: request.text })
})

it.scoped("ask starts a run whose answer streams after the ack; a resent frame is a duplicate", () =>
  Effect.gen(function*() {
    const user = yield* SwitchyardTest.user([ask], { userId: "alice" })
    const first = yield* user.send({ type: "ask", id: "q1", payload: { question: "hi" } })
    const again = yield* user.send({ type: "ask", id: "q1", payload: { question: "hi" } })
    expect(again).toEqual({ ...first, status: "duplicate" })
    const done = yield* user.awaitEvent((event) => event.type === "agent_completed")
    expect(done.payload).toMatchObject({ status: "completed", response: { text: "alice: hi" } })
    expect(user.events.map((event) => event.type)).toEqual(["agent_started", "agent_message_delta", "agent_completed"])
  }).pipe(Effect.provide(EchoAgent)))
