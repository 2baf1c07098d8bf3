import { Effect, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { BuiltinHandlers } from "../../src/handlers/index.js"
import * as Handler from "../../src/handlers/Handler.js"
import { BatchResult } from "../../src/protocol/Results.js"
import { RedisSettings } from "../../src/store/RedisSettings.js"
import { deletePrefix, redisUrl, uniquePrefix } from "../support/RedisServer.js"
import { TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

/** Idempotency over real sockets (PROTOCOL §5): self-referencing batches, dedupe beyond the user's context. */
describe("dedupe over real sockets (PROTOCOL §5)", () => {
  let server: TestServer
  beforeAll(async () => {
    // a short grace period: the user's context is released soon after the last connection closes
    server = await startServer({ settings: { agentStepMs: 2, sessionGraceMs: 200 } })
  })
  afterAll(() => server.close())

  it("a batch containing its own id: the inner frame is INVALID_MESSAGE, the batch is acked, the connection goes on", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("self-batch")))
    const reply = await client.request("batch", "b-1", {
      messages: [
        { type: "user_message", id: "b-1", payload: { text: "hello" } },
        { type: "user_message", id: "b-1-next", payload: { text: "hello again" } }
      ]
    })
    expect(reply.type).toBe("ack")
    expect(reply.payload["status"]).toBe("ok")
    const results = reply.payload["result"].results as Array<Record<string, any>>
    expect(results[0]).toEqual({ id: "b-1", status: "error", code: "INVALID_MESSAGE" })
    expect(results[1]).toMatchObject({ id: "b-1-next", status: "ok" })
    // the run the batch started begins and ends
    await client.completed(results[1]!["result"].run_id)
    const pong = await client.request("ping", "p-1")
    expect(pong.type).toBe("pong")
    // the batch's own id is remembered like any other
    client.frames.length = 0
    const again = await client.request("batch", "b-1", { messages: [{ type: "typing", payload: { is_typing: true } }] })
    expect(again.payload).toEqual({ status: "duplicate", result: reply.payload["result"] })
    await client.close()
  })

  it("two inner frames of one batch with the same id: the first is processed, the second is its duplicate", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("twin-inner")))
    const reply = await client.request("batch", "b-2", {
      messages: [
        { type: "user_message", id: "same", payload: { text: "one" } },
        { type: "user_message", id: "same", payload: { text: "two" } }
      ]
    })
    const results = reply.payload["result"].results as Array<Record<string, any>>
    expect(results[0]).toMatchObject({ id: "same", status: "ok" })
    expect(results[1]).toEqual({ id: "same", status: "duplicate", result: results[0]!["result"] })
    await client.close()
  })

  it("an id is remembered after the user's context was released (reconnect past the grace period)", async () => {
    const user = `leaver-${Date.now()}`
    const first = await TestClient.connect(server.wsUrl(server.token(user)))
    const ack = await first.request("user_message", "m-1", { text: "hello" })
    expect(ack.payload["status"]).toBe("ok")
    await first.completed(ack.payload["result"].run_id)
    await first.close()
    // well past the 200 ms grace period: the context (stream, runs) is gone
    await new Promise((resolve) => setTimeout(resolve, 800))
    const second = await TestClient.connect(server.wsUrl(server.token(user)))
    // a fresh context: its stream starts again
    expect(second.greeting.payload["last_seq"]).toBe(0)
    const again = await second.request("user_message", "m-1", { text: "hello" })
    expect(again.payload).toEqual({ status: "duplicate", result: ack.payload["result"] })
    await second.close()
  })
})

/**
 * A handler that holds its frame until the test opens the gate: it lets two
 * batches on two connections both hold their own ids before either reaches
 * the inner frame carrying the other's.
 */
const makeGate = (type: string) => {
  let entered = 0
  let open: () => void = () => {}
  const opened = new Promise<void>((resolve) => (open = resolve))
  const handler = Handler.make(type, {
    payload: Schema.Struct({}),
    success: Schema.Struct({}),
    handle: () => Effect.zipRight(Effect.sync(() => entered++), Effect.as(Effect.promise(() => opened), {}))
  })
  return { handler, open: () => open(), entered: () => entered }
}

/**
 * Sends the two crossed batches (X containing Y, Y containing X, each after a
 * gated first frame) on `a` and `b`, opens the gate once both hold their ids,
 * and checks the answers: one inner frame refused instead of waiting, the
 * other its batch's duplicate, both connections going on; with
 * `answeredWithinMs`, both answered within that long of the gate opening.
 */
const crossedBatches = async (
  gate: ReturnType<typeof makeGate>,
  a: TestClient,
  b: TestClient,
  answeredWithinMs = Number.POSITIVE_INFINITY
) => {
  const type = gate.handler.type
  a.send({ type: "batch", id: "X", payload: { messages: [{ type, id: "ga" }, { type: "typing", id: "Y", payload: { is_typing: true } }] } })
  b.send({ type: "batch", id: "Y", payload: { messages: [{ type, id: "gb" }, { type: "typing", id: "X", payload: { is_typing: true } }] } })
  // both batches hold their ids and sit in their gates (bounded: a test that timed out must not poll on in the worker)
  for (const until = Date.now() + 20_000; gate.entered() < 2;) {
    if (Date.now() > until) throw new Error(`${gate.entered()} of the 2 batches reached the gate`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  const opened = Date.now()
  gate.open()
  // (waited for longer than a claim's lease: a wait that lasts it out is told by the time it took, not a time-out)
  const [ra, rb] = await Promise.all([a.reply("X", 20_000), b.reply("Y", 20_000)])
  expect(Date.now() - opened).toBeLessThan(answeredWithinMs)
  const inner = [ra, rb].map((reply) => Schema.decodeUnknownSync(BatchResult)(reply.payload["result"]).results[1]!)
  // one of the two inner frames was refused instead of waiting; the other waited for that batch and is its duplicate
  const refused = inner.filter((entry) => entry.status === "error")
  expect(refused).toHaveLength(1)
  expect(refused[0]).toMatchObject({ code: "INVALID_MESSAGE" })
  expect(inner.filter((entry) => entry.status === "duplicate")).toHaveLength(1)
  // both connections go on
  expect((await a.request("ping", "pa")).type).toBe("pong")
  expect((await b.request("ping", "pb")).type).toBe("pong")
}

describe("dedupe waits across connections (PROTOCOL §5)", () => {
  const gate = makeGate("gate")
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ handlers: [...BuiltinHandlers, gate.handler] })
  })
  afterAll(() => server.close())

  it("two batches, each containing the other's id, on two connections: neither waits for itself", async () => {
    const [a, b] = await Promise.all([
      TestClient.connect(server.wsUrl(server.token("crossed"))),
      TestClient.connect(server.wsUrl(server.token("crossed")))
    ])
    await crossedBatches(gate, a, b)
    await Promise.all([a.close(), b.close()])
  })
})

describe("dedupe waits across nodes (PROTOCOL §5, §11)", () => {
  // two nodes in this process (so that both run the gate) on one Redis prefix; a claim's lease short enough that
  // waiting it out (the crossed batches each waiting for the other's claim) is told apart within the test's time
  const dedupeLeaseMs = 5_000
  const gate = makeGate("gate")
  const prefix = uniquePrefix()
  const servers: Array<TestServer> = []
  beforeAll(async () => {
    for (const nodeId of ["node-a", "node-b"]) {
      servers.push(await startServer({
        handlers: [...BuiltinHandlers, gate.handler],
        settings: { nodeId },
        redis: RedisSettings.make({ url: redisUrl(), prefix, dedupeLeaseMs })
      }))
    }
  })
  afterAll(async () => {
    for (const server of servers.splice(0)) await server.close()
    await deletePrefix(redisUrl(), prefix)
  })

  it("two batches, each containing the other's id, on connections to two nodes: answered at once, not after the claims' lease", async () => {
    const [nodeA, nodeB] = servers as [TestServer, TestServer]
    const [a, b] = await Promise.all([
      TestClient.connect(nodeA.wsUrl(nodeA.token("crossed-nodes"))),
      TestClient.connect(nodeB.wsUrl(nodeB.token("crossed-nodes")))
    ])
    // refused at once: well before the lease, whose end would otherwise break the wait cycle
    await crossedBatches(gate, a, b, dedupeLeaseMs / 2)
    await Promise.all([a.close(), b.close()])
  })
})
