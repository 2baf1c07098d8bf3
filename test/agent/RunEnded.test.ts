import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Layer, Stream } from "effect"
import { Agent, type AgentEvent } from "../../src/agent/Agent.js"
import type { RunRecord } from "../../src/agent/RunRecord.js"
import { BuiltinHandlers } from "../../src/handlers/index.js"
import { makeHarness } from "../support/FrameHarness.js"

const QuickAgent = Layer.succeed(Agent, {
  defaultName: "quick",
  run: (request) => Stream.make<Array<AgentEvent>>({ _tag: "MessageDelta", text: request.text })
})

describe("RunRegistry.onRunEnded", () => {
  it.scoped("tells listeners about each ended run after its agent_completed; a dying listener harms nothing", () =>
    Effect.gen(function*() {
      const h = yield* makeHarness(BuiltinHandlers, QuickAgent)
      const seen: Array<{ readonly record: RunRecord; readonly eventsBefore: number }> = []
      const done = yield* Deferred.make<void>()
      h.runs.onRunEnded(() => Effect.die("listener bug"))
      const stop = h.runs.onRunEnded((record) =>
        Effect.sync(() => {
          seen.push({ record, eventsBefore: h.events.length })
          Deferred.unsafeDone(done, Effect.void)
        })
      )
      yield* h.execute({ type: "user_message", payload: { text: "one" } })
      yield* Deferred.await(done)
      expect(seen).toHaveLength(1)
      expect(seen[0]!.record.status).toBe("completed")
      expect(h.events[seen[0]!.eventsBefore - 1]!.type).toBe("agent_completed")

      stop()
      const ended = yield* Deferred.make<void>()
      h.runs.onRunEnded(() => Deferred.succeed(ended, undefined))
      yield* h.execute({ type: "user_message", payload: { text: "two" } })
      yield* Deferred.await(ended)
      expect(seen).toHaveLength(1)
      expect(h.runs.all.map((run) => run.status)).toEqual(["completed", "completed"])
    }))
})
