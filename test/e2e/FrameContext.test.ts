import { Deferred, Effect, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { BuiltinHandlers } from "../../src/handlers/index.js"
import { CurrentFrame } from "../../src/handlers/FrameContext.js"
import * as Handler from "../../src/handlers/Handler.js"
import { TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

// what the late readers saw, by the id of the frame that started them
const seenLater = new Map<string, string | undefined>()
const release = Deferred.unsafeMake<void>(Effect.runSync(Effect.fiberId))

/** Answers with the id of the frame it is handling, as the context says. */
const whoami = Handler.make("whoami", {
  payload: Schema.Struct({}),
  success: Schema.Struct({ id: Schema.optional(Schema.String) }),
  handle: () => Effect.map(CurrentFrame, (frame) => ({ id: frame.id }))
})

/** Forks work that reads the frame context only after later frames were handled. */
const lateReader = Handler.make("late_reader", {
  payload: Schema.Struct({ tag: Schema.String }),
  success: Schema.Struct({}),
  handle: ({ tag }) =>
    Effect.as(
      Effect.forkDaemon(
        Effect.zipRight(Deferred.await(release), Effect.map(CurrentFrame, (frame) => seenLater.set(tag, frame.id)))
      ),
      {}
    )
})

describe("the frame context over a real WebSocket", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ handlers: [...BuiltinHandlers, whoami, lateReader] })
  })
  afterAll(() => server.close())

  it("gives each frame of a burst its own CurrentFrame", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("who")))
    const ids = Array.from({ length: 50 }, (_, i) => `w${i}`)
    // sent in one tick: they arrive together and are handled one after another by one drain
    for (const id of ids) client.send({ type: "whoami", id })
    const replies = await Promise.all(ids.map((id) => client.reply(id)))
    expect(replies.map((reply) => reply.payload["result"].id)).toEqual(ids)
    await client.close()
  })

  it("keeps a frame's context for the work it forked, after later frames were handled", async () => {
    const client = await TestClient.connect(server.wsUrl(server.token("late")))
    client.send({ type: "late_reader", id: "first", payload: { tag: "a" } })
    for (let i = 0; i < 10; i++) client.send({ type: "whoami", id: `after-${i}` })
    client.send({ type: "late_reader", id: "second", payload: { tag: "b" } })
    await client.reply("second")
    await Effect.runPromise(Deferred.succeed(release, undefined))
    await expect.poll(() => seenLater.size).toBe(2)
    expect(seenLater.get("a")).toBe("first")
    expect(seenLater.get("b")).toBe("second")
    await client.close()
  })
})
