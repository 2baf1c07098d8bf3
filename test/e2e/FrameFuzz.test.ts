import { FastCheck as fc } from "effect"
import WebSocket from "ws"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Frame, TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

/**
 * Thousands of generated frames — valid, one field wrong, nested, huge,
 * random bytes, batches that reference each other's ids — through the real
 * decoder, router and handlers over a real socket (PROTOCOL §3, §5, §9, §10).
 */

/** One generated frame: what goes on the wire, and the id the server must answer it with (if any). */
interface Generated {
  readonly wire: string | Buffer
  readonly answeredAs: string | undefined
}

// ids are made unique per sequence by a counter the generator cannot see: only deliberate reuse repeats one
let counter = 0
const nextId = () => `f${++counter}`

const valid = (type: string, payload: object): Generated => {
  const id = nextId()
  return { wire: JSON.stringify({ type, id, payload }), answeredAs: id }
}

const text = fc.string({ maxLength: 60 })

const validFrame: fc.Arbitrary<Generated> = fc.oneof(
  fc.constant(null).map(() => valid("ping", {})),
  fc.boolean().map((is_typing) => valid("typing", { is_typing })),
  text.filter((t) => t.length > 0).map((t) => valid("user_message", { text: t, user_id: "someone-else" })),
  fc.nat({ max: 50 }).map((last_seq) => valid("resume", { last_seq })),
  fc.constant(null).map(() => valid("quality_metrics", {})),
  text.map((content) => valid("quality_validation", { content })),
  text.map((message) => valid("error", { message })),
  fc.string({ minLength: 1, maxLength: 20 }).map((run_id) => valid("stop_agent", { run_id }))
)

// a frame with exactly one thing wrong; the id is still valid, so the error carries it
const oneFieldWrong: fc.Arbitrary<Generated> = fc.oneof(
  fc.constant(null).map(() => valid("user_message", { text: 5 })),
  fc.constant(null).map(() => valid("user_message", { text: "" })),
  fc.constant(null).map(() => valid("typing", { is_typing: "yes" })),
  fc.constant(null).map(() => valid("resume", { last_seq: -1 })),
  fc.constant(null).map(() => valid("stop_agent", {})),
  fc.constant(null).map(() => valid("no_such_type", {})),
  fc.constant(null).map(() => {
    const id = nextId()
    return { wire: JSON.stringify({ type: 7, id }), answeredAs: id }
  }),
  fc.constant(null).map(() => {
    const id = nextId()
    return { wire: JSON.stringify({ type: "ping", id, payload: "not an object" }), answeredAs: id }
  }),
  // an id that is not a string of 1–128 characters is itself the error: no id to answer with
  fc.oneof(fc.constant(""), fc.constant("x".repeat(129)), fc.constant(12)).map((id) => ({
    wire: JSON.stringify({ type: "ping", id }),
    answeredAs: undefined
  }))
)

// nesting around and beyond MAX_JSON_DEPTH, in the payload and at the top
const nested: fc.Arbitrary<Generated> = fc.tuple(fc.integer({ min: 1, max: 5000 }), fc.boolean()).map(
  ([depth, arrays]) => {
    const id = nextId()
    const [open, close] = arrays ? ["[", "]"] : ["{\"a\":", "}"]
    return {
      wire: `{"type":"user_message","id":"${id}","payload":{"text":"deep","params":${open.repeat(depth)}1${
        close.repeat(depth)
      }}}`,
      answeredAs: id
    }
  }
)

// large but under MAX_MESSAGE_BYTES: long text, many keys, worst cases for the agent's parsers
const huge: fc.Arbitrary<Generated> = fc.oneof(
  fc.constantFrom("*/", "1+", "((", "what time ", "17 * ", "-").chain((unit) =>
    fc.integer({ min: 1000, max: 16_000 }).map((n) => valid("user_message", { text: unit.repeat(n).slice(0, 32_000) }))
  ),
  fc.integer({ min: 1000, max: 20_000 }).map((n) =>
    valid("quality_validation", { content: "sk-".repeat(n), rules: ["leaked_credential"] })
  ),
  fc.integer({ min: 100, max: 5000 }).map((n) => {
    const payload: Record<string, number> = {}
    for (let i = 0; i < n; i++) payload[`k${i}`] = i
    return valid("typing", { is_typing: true, ...payload })
  })
)

const garbage: fc.Arbitrary<Generated> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 200 }).map((bytes) => ({ wire: Buffer.from(bytes), answeredAs: undefined })),
  fc.string({ maxLength: 200 }).filter((s) => !isObjectJson(s)).map((s) => ({ wire: s, answeredAs: undefined }))
)

// batches whose inner frames reuse each other's ids and the batch's own
const batches: fc.Arbitrary<Generated> = fc.array(
  fc.oneof(
    fc.constantFrom("own", "sibling", "fresh", "none", "bad", "nested")
  ),
  { minLength: 1, maxLength: 12 }
).map((kinds) => {
  const id = nextId()
  const sibling = nextId()
  const messages = kinds.map((kind) => {
    switch (kind) {
      case "own":
        return { type: "typing", id, payload: { is_typing: true } }
      case "sibling":
        return { type: "typing", id: sibling, payload: { is_typing: false } }
      case "fresh":
        return { type: "quality_metrics", id: nextId() }
      case "none":
        return { type: "ping" }
      case "bad":
        return { type: "typing", id: nextId(), payload: { is_typing: 1 } }
      case "nested":
        return { type: "batch", id: nextId(), payload: { messages: [{ type: "ping" }] } }
    }
  })
  return { wire: JSON.stringify({ type: "batch", id, payload: { messages } }), answeredAs: id }
})

const frame: fc.Arbitrary<Generated> = fc.oneof(
  { arbitrary: validFrame, weight: 4 },
  { arbitrary: oneFieldWrong, weight: 3 },
  { arbitrary: nested, weight: 1 },
  { arbitrary: huge, weight: 1 },
  { arbitrary: garbage, weight: 2 },
  { arbitrary: batches, weight: 2 }
)

function isObjectJson(s: string): boolean {
  try {
    const value: unknown = JSON.parse(s)
    return typeof value === "object" && value !== null && !Array.isArray(value)
  } catch {
    return false
  }
}

/** Sends a sequence and a sentinel ping; frames are answered in order, so the sentinel's pong closes the sequence. */
const exchange = async (client: TestClient, sequence: ReadonlyArray<Generated>): Promise<Array<Frame>> => {
  const from = client.frames.length
  for (const { wire } of sequence) client.ws.send(wire)
  const sentinel = nextId()
  client.send({ type: "ping", id: sentinel })
  await client.reply(sentinel, 20_000)
  return client.frames.slice(from)
}

describe("generated frames through the real decoder and router", () => {
  let server: TestServer
  beforeAll(async () => {
    // test servers have no per-user message rate (RateLimit.test.ts, Flood.test.ts test it): every frame reaches the decoder
    server = await startServer({ settings: { agentStepMs: 1 } })
  })
  afterAll(() => server.close())

  it("answers every frame with an id exactly once, lets no defect out, and keeps the connection and the stream whole", async () => {
    const fuzzed = await TestClient.connect(server.wsUrl(server.token("fuzzed")))
    const bystander = await TestClient.connect(server.wsUrl(server.token("bystander")))
    let frames = 0
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 5, maxLength: 40 }), async (sequence) => {
        frames += sequence.length
        const received = await exchange(fuzzed, sequence)
        const replies = received.filter((f) => f.type === "ack" || f.type === "error" || f.type === "pong")
        for (const { answeredAs } of sequence) {
          if (answeredAs === undefined) continue
          const sent = sequence.filter((g) => g.answeredAs === answeredAs).length
          expect(replies.filter((r) => r.id === answeredAs)).toHaveLength(sent)
        }
        // no defect escapes: nothing is answered INTERNAL, and the connection is open
        expect(replies.filter((r) => r.type === "error" && r.payload["code"] === "INTERNAL")).toEqual([])
        expect(fuzzed.ws.readyState).toBe(WebSocket.OPEN)
      }),
      { numRuns: 150 }
    )
    expect(frames).toBeGreaterThan(1000)

    // the fuzzed user's stream, as a client that drops what it has seen reads it (resume replays): seq grows by exactly 1
    const seqs: Array<number> = []
    for (const f of fuzzed.frames) if (f.seq !== undefined && f.seq > (seqs.at(-1) ?? 0)) seqs.push(f.seq)
    expect(seqs.length).toBeGreaterThan(0)
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i))
    // another user saw nothing of it, and is served as usual
    expect(bystander.frames.filter((f) => f.type !== "connection_established")).toEqual([])
    const ack = await bystander.request("user_message", "b-1", { text: "what is 17 * 23" })
    const completed = await bystander.completed(ack.payload["result"].run_id as string)
    expect(completed.payload["response"].text).toContain("391")
    await fuzzed.close()
    await bystander.close()
  }, 300_000)
})

/**
 * Work per frame grows at most linearly with its size (PROTOCOL §10). Not a
 * timing goal: a ratio between one frame and the same frame 16× larger, where
 * linear work gives about 16 (less, with fixed costs; more when V8 changes an
 * object's representation) and quadratic work 256.
 */
describe("the work one frame causes is linear in its size", () => {
  let server: TestServer
  let client: TestClient
  beforeAll(async () => {
    server = await startServer({ settings: { agentStepMs: 1 } })
    client = await TestClient.connect(server.wsUrl(server.token("linear")))
  })
  afterAll(async () => {
    await client.close()
    await server.close()
  })

  // the time from sending the frame to the frame that ends its work (its reply, or its run's end)
  const cost = async (make: (n: number, id: string) => string, n: number, untilRunEnds: boolean): Promise<number> => {
    const samples: Array<number> = []
    for (let i = 0; i < 5; i++) {
      const id = nextId()
      const wire = make(n, id)
      const started = performance.now()
      client.send(wire)
      const reply = await client.reply(id, 20_000)
      if (untilRunEnds && reply.type === "ack") await client.completed(reply.payload["result"].run_id as string, 20_000)
      samples.push(performance.now() - started)
    }
    return samples.sort((a, b) => a - b)[2]!
  }

  const shapes: ReadonlyArray<readonly [string, (n: number, id: string) => string, number, boolean]> = [
    ["nesting", (n, id) => `{"type":"typing","id":"${id}","payload":{"is_typing":true,"x":${"[".repeat(n)}${"]".repeat(n)}}}`, 2000, false],
    ["keys", (n, id) => JSON.stringify({ type: "typing", id, payload: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])) }), 1000, false],
    ["validated text", (n, id) => JSON.stringify({ type: "quality_validation", id, payload: { content: "sk-a ".repeat(n) } }), 1000, false],
    ["operators for the calculator", (n, id) => JSON.stringify({ type: "user_message", id, payload: { text: "*/".repeat(n) } }), 1000, true],
    ["a time question", (n, id) => JSON.stringify({ type: "user_message", id, payload: { text: "what time is it in ".repeat(n) } }), 100, true]
  ]

  for (const [name, make, n, untilRunEnds] of shapes) {
    it(`${name}: 16× the size costs far less than 256× the time`, async () => {
      await cost(make, n, untilRunEnds) // warm up
      const small = await cost(make, n, untilRunEnds)
      const large = await cost(make, 16 * n, untilRunEnds)
      expect(large / Math.max(small, 0.5)).toBeLessThan(64)
    }, 120_000)
  }
})
