import { afterAll, describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Effect, FiberMap, Layer, Stream } from "effect"
import type { Agent } from "../../src/agent/Agent.js"
import { type LocalRuns, NodeRuns, type RemoteOutcome } from "../../src/agent/RunCluster.js"
import { RunRegistry } from "../../src/agent/Runs.js"
import { runIdOf, type StreamEvent } from "../../src/protocol/StreamEvents.js"
import { ConversationMemory, Conversations } from "../../src/state/Conversations.js"
import { LifecycleState } from "../../src/state/Lifecycle.js"
import * as Redis from "../../src/store/Redis.js"
import * as RedisRunLeases from "../../src/store/RedisRunLeases.js"
import { RunLeases } from "../../src/store/RunLeases.js"
import { deletePrefix, redisUrl, testSettings } from "../support/RedisServer.js"

// PROTOCOL §4: `stop_agent` of a run that already completed is `{stopped: false}`, never NOT_FOUND — also
// from another node while the owner is recording the run's end (the e2e flake of ClusterRuns' "again").

const prefixes: Array<string> = []
const unlimited = { perMinute: Infinity, concurrent: Infinity }

// two nodes on one prefix; `wrapA`/`wrapB` let a test step in between a node's store calls
const twoNodes = (
  wrapA: (leases: RunLeases["Type"], other: () => NodeRuns) => RunLeases["Type"],
  wrapB: (leases: RunLeases["Type"], other: () => NodeRuns) => RunLeases["Type"]
) =>
  Effect.gen(function*() {
    const settings = testSettings()
    prefixes.push(settings.prefix)
    const leasesOf = (nodeId: string) =>
      Effect.map(
        Layer.build(RedisRunLeases.layerWith(nodeId, { leaseMs: 60_000, answerTimeoutMs: 2_000 }).pipe(
          Layer.provide(Redis.layerWith(settings)),
          Layer.orDie
        )),
        Context.get(RunLeases)
      )
    const nodes: { a?: NodeRuns; b?: NodeRuns } = {}
    const a = new NodeRuns(wrapA(yield* leasesOf("node-a"), () => nodes.b!))
    const b = new NodeRuns(wrapB(yield* leasesOf("node-b"), () => nodes.a!))
    nodes.a = a
    nodes.b = b
    yield* a.leases.serveStops(a.serve)
    yield* b.leases.serveStops(b.serve)
    return { a, b }
  })

// a user's runs on a node, as its registry answers for them: still going, or ended
const userRuns = (userId: string, ended: Set<string>): LocalRuns => ({
  userId,
  stopHere: (runId) => Effect.succeed(ended.has(runId) ? "AlreadyEnded" : "Stopped"),
  forfeit: () => Effect.void
})

describe("NodeRuns: stop_agent from another node of a run that just ended", () => {
  afterAll(() => Promise.all(prefixes.map((prefix) => deletePrefix(redisUrl(), prefix))))

  it.scopedLive("found running, ended before the owner gets the request: stopped false", () =>
    Effect.gen(function*() {
      const ended = new Set<string>()
      let endOnA: Effect.Effect<void> = Effect.void
      const { a, b } = yield* twoNodes(
        (leases) => leases,
        // B's look-up says running on A; A's run ends (all of it) before B's request reaches A
        (leases) => ({ ...leases, locate: (userId, runId) => Effect.zipLeft(leases.locate(userId, runId), endOnA) })
      )
      yield* a.admit(userRuns("u", ended), "r1", unlimited, Date.now())
      endOnA = Effect.suspend(() => {
        endOnA = Effect.void
        ended.add("r1")
        return Effect.zipRight(a.ended("u", "r1"), Effect.sync(() => a.release("r1")))
      })
      expect(yield* b.stopElsewhere("u", "r1", Effect.void)).toEqual({ _tag: "Found", stopped: false })
    }))

  it.scopedLive("asked while the owner records the run's end: stopped false", () =>
    Effect.gen(function*() {
      const ended = new Set<string>()
      let asked: RemoteOutcome | undefined = undefined
      const { a } = yield* twoNodes(
        // B asks (look-up and request) while A is recording the end of its ended run
        (leases, b) => ({
          ...leases,
          ended: (userId, runId) =>
            Effect.zipRight(
              Effect.map(Effect.orDie(b().stopElsewhere(userId, runId, Effect.void)), (outcome) => {
                asked = outcome
              }),
              leases.ended(userId, runId)
            )
        }),
        (leases) => leases
      )
      yield* a.admit(userRuns("u", ended), "r1", unlimited, Date.now())
      ended.add("r1")
      yield* a.ended("u", "r1")
      expect(asked).toEqual({ _tag: "Found", stopped: false })
    }))

  it.scopedLive("another user's run, or an unknown one, is not found", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoNodes((leases) => leases, (leases) => leases)
      yield* a.admit(userRuns("u", new Set()), "r1", unlimited, Date.now())
      expect(yield* b.stopElsewhere("v", "r1", Effect.void)).toEqual({ _tag: "NotFound" })
      expect(yield* b.stopElsewhere("u", "r2", Effect.void)).toEqual({ _tag: "NotFound" })
      expect(yield* b.stopElsewhere("u", "r1", Effect.void)).toEqual({ _tag: "Found", stopped: true })
    }))
})

// an agent whose runs end at once, completed
const quickAgent: Agent["Type"] = {
  defaultName: "quick",
  run: () => Stream.empty,
  runForEach: () => Effect.void
}

describe("RunRegistry in cluster mode: a run's end as its agent_completed goes out", () => {
  afterAll(() => Promise.all(prefixes.map((prefix) => deletePrefix(redisUrl(), prefix))))

  // the user saw agent_completed on node A and starts a run on node B at once (issue 14): the slot is free
  it.scopedLive("the user's slot is free on every node, and a stop from another node is stopped false", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoNodes((leases) => leases, (leases) => leases)
      const quota = { perMinute: Infinity, concurrent: 1 }
      const fibers = yield* FiberMap.make<string>()
      const registry = new RunRegistry("u", fibers, 100, new LifecycleState(), quota, a)
      const atCompletion = yield* Deferred.make<{ admitted: unknown; stop: RemoteOutcome }>()
      const emit = (event: StreamEvent) =>
        event.type !== "agent_completed" ? Effect.void : Effect.gen(function*() {
          const admitted = yield* b.admit(userRuns("u", new Set()), "r-on-b", quota, Date.now())
          const stop = yield* Effect.orDie(b.stopElsewhere("u", runIdOf(event)!, Effect.void))
          yield* Deferred.succeed(atCompletion, { admitted, stop })
        })
      yield* registry.start({
        request: { text: "hi", agent: undefined, threadId: undefined, params: {} },
        agent: quickAgent,
        emit,
        replied: Effect.void
      }).pipe(Effect.provideService(Conversations, new ConversationMemory({ maxTurns: 1, maxChars: 100, maxThreads: 1 })))
      expect(yield* Deferred.await(atCompletion)).toEqual({ admitted: undefined, stop: { _tag: "Found", stopped: false } })
    }))
})
