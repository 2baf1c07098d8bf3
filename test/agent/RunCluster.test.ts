import { afterAll, describe, expect, it } from "@effect/vitest"
import { Context, Effect, FiberMap, Layer, Queue, Stream } from "effect"
import type { Agent } from "../../src/agent/Agent.js"
import { type LocalRuns, NodeRuns, type RemoteOutcome } from "../../src/agent/RunCluster.js"
import { RunRegistry } from "../../src/agent/Runs.js"
import * as ServerFrame from "../../src/protocol/ServerFrame.js"
import type { StreamEvent } from "../../src/protocol/StreamEvents.js"
import { Backplane } from "../../src/store/Backplane.js"
import * as RedisStreams from "../../src/store/RedisStreams.js"
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
    const storesOf = (nodeId: string) =>
      Layer.build(Layer.merge(
        RedisRunLeases.layerWith(nodeId, { leaseMs: 60_000, answerTimeoutMs: 2_000 }),
        RedisStreams.layer({ minEvents: 100, minAgeMs: 60_000, maxEvents: 1000 })
      ).pipe(Layer.provide(Redis.layerWith(settings)), Layer.orDie))
    const storesA = yield* storesOf("node-a")
    const storesB = yield* storesOf("node-b")
    const nodes: { a?: NodeRuns; b?: NodeRuns } = {}
    const a = new NodeRuns(wrapA(Context.get(storesA, RunLeases), () => nodes.b!))
    const b = new NodeRuns(wrapB(Context.get(storesB, RunLeases), () => nodes.a!))
    nodes.a = a
    nodes.b = b
    yield* a.leases.serveStops(a.serve)
    yield* b.leases.serveStops(b.serve)
    return { a, b, backplaneA: Context.get(storesA, Backplane), backplaneB: Context.get(storesB, Backplane) }
  })

// a stream event published as a user's emitter publishes it
const publishOn = (backplane: Backplane["Type"], userId: string) => (event: StreamEvent) =>
  Effect.asVoid(backplane.publish(userId, {
    head: ServerFrame.streamEventHead(event.type),
    tail: ServerFrame.streamEventTail(event, ServerFrame.isoAt(Date.now())),
    at: Date.now()
  }))

// a run's end on its node as the registry makes it: its agent_completed published with the record of its end, then let go
const endRun = (node: NodeRuns, backplane: Backplane["Type"], userId: string, runId: string) =>
  node.publishEnd(userId, runId, publishOn(backplane, userId)({
    type: "agent_completed",
    run_id: runId,
    payload: { run_id: runId, status: "completed", response: { text: "" } }
  }))

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
      const { a, b, backplaneA } = yield* twoNodes(
        (leases) => leases,
        // B's look-up says running on A; A's run ends (all of it) before B's request reaches A
        (leases) => ({ ...leases, locate: (userId, runId) => Effect.zipLeft(leases.locate(userId, runId), endOnA) })
      )
      yield* a.admit(userRuns("u", ended), "r1", unlimited, Date.now())
      endOnA = Effect.suspend(() => {
        endOnA = Effect.void
        ended.add("r1")
        return endRun(a, backplaneA, "u", "r1")
      })
      expect(yield* b.stopElsewhere("u", "r1", Effect.void)).toEqual({ _tag: "Found", stopped: false })
    }))

  it.scopedLive("asked while the owner ends the run, before its agent_completed is published: stopped false", () =>
    Effect.gen(function*() {
      const ended = new Set<string>()
      let asked: RemoteOutcome | undefined = undefined
      const { a, backplaneA } = yield* twoNodes(
        // B asks (look-up and request) while A is ending its ended run
        (leases, b) => ({
          ...leases,
          takeEnd: (userId, runId) =>
            Effect.zipRight(
              Effect.map(Effect.orDie(b().stopElsewhere(userId, runId, Effect.void)), (outcome) => {
                asked = outcome
              }),
              leases.takeEnd(userId, runId)
            )
        }),
        (leases) => leases
      )
      yield* a.admit(userRuns("u", ended), "r1", unlimited, Date.now())
      ended.add("r1")
      yield* endRun(a, backplaneA, "u", "r1")
      expect(asked).toEqual({ _tag: "Found", stopped: false })
    }))

  it.scopedLive("asked while the run's end is owed (Redis did not confirm its agent_completed yet): stopped false", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoNodes((leases) => leases, (leases) => leases)
      yield* a.admit(userRuns("u", new Set(["r1"])), "r1", unlimited, Date.now())
      // its event went out unconfirmed (here: not at all): let go on A, still recorded running under A in Redis
      yield* a.publishEnd("u", "r1", Effect.void)
      expect(yield* b.stopElsewhere("u", "r1", Effect.void)).toEqual({ _tag: "Found", stopped: false })
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
      const { a, b, backplaneA, backplaneB } = yield* twoNodes((leases) => leases, (leases) => leases)
      const quota = { perMinute: Infinity, concurrent: 1 }
      const fibers = yield* FiberMap.make<string>()
      const registry = new RunRegistry("u", fibers, 100, new LifecycleState(), quota, a)
      // the user's connection on B: it sees the run's agent_completed
      const seenOnB = yield* Queue.unbounded<string>()
      yield* backplaneB.subscribe("u", { event: (entry) => void Queue.unsafeOffer(seenOnB, entry.frame), signal: () => {} })
      const runId = yield* registry.start({
        request: { text: "hi", agent: undefined, threadId: undefined, params: {} },
        agent: quickAgent,
        emit: publishOn(backplaneA, "u"),
        replied: Effect.void
      }).pipe(Effect.provideService(Conversations, new ConversationMemory({ maxTurns: 1, maxChars: 100, maxThreads: 1 })))
      while (!(yield* Queue.take(seenOnB)).includes(`"type":"agent_completed"`)) continue
      expect(yield* b.admit(userRuns("u", new Set()), "r-on-b", quota, Date.now())).toBeUndefined()
      expect(yield* b.stopElsewhere("u", runId, Effect.void)).toEqual({ _tag: "Found", stopped: false })
    }))

  it.scopedLive("an agent_completed that dies on its way (a defect) still frees the user's slot on every node", () =>
    Effect.gen(function*() {
      const { a, b, backplaneA } = yield* twoNodes((leases) => leases, (leases) => leases)
      const quota = { perMinute: Infinity, concurrent: 1 }
      const fibers = yield* FiberMap.make<string>()
      const registry = new RunRegistry("u", fibers, 100, new LifecycleState(), quota, a)
      const publish = publishOn(backplaneA, "u")
      yield* registry.start({
        request: { text: "hi", agent: undefined, threadId: undefined, params: {} },
        agent: quickAgent,
        emit: (event) => event.type === "agent_completed" ? Effect.die("an encoding bug") : publish(event),
        replied: Effect.void
      }).pipe(Effect.provideService(Conversations, new ConversationMemory({ maxTurns: 1, maxChars: 100, maxThreads: 1 })))
      while ((yield* b.admit(userRuns("u", new Set()), "r-on-b", quota, Date.now())) !== undefined) {
        yield* Effect.sleep("20 millis")
      }
    }))
})
