import * as Prompt from "@effect/ai/Prompt"
import * as HttpClient from "@effect/platform/HttpClient"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import type { ModelPart } from "../../src/agent/ModelStream.js"
import * as ModelToolkit from "../../src/agent/ModelToolkit.js"
import * as ChatCompletions from "../../src/agent/openai/ChatCompletions.js"
import * as UndiciClient from "../../src/agent/openai/UndiciClient.js"
import { BuiltinTools } from "../../src/agent/tools/index.js"

/**
 * The agent's HTTP client over a real socket: Chat Completions reads its
 * bodies as Node streams, and must still release the request — abort it —
 * when it stops before the body's end (at `[DONE]`, when the run is stopped).
 */
const delta = (text: string, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "c", choices: [{ index: 0, delta: { content: text }, finish_reason: finish }] })}\n\n`

/** what each path answers; `closed` counts the responses whose request went away before they ended */
const answers: Record<string, (res: ServerResponse) => void> = {
  "/v1/text": (res) => res.end("hello"),
  // [DONE], then the body stays open: the reader must not wait for its end
  "/v1/chat/completions": (res) => res.write(delta("Hi ") + delta("there", "stop") + "data: [DONE]\n\n"),
  "/v1/slow/chat/completions": (res) => res.write(delta("Hi ")),
  "/v1/cut/chat/completions": (res) => {
    res.write(delta("Hi "))
    setTimeout(() => res.socket?.destroy(), 20)
  }
}

let server: Server
let baseUrl = ""
const closedEarly: Array<string> = []

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume()
    res.on("close", () => {
      if (!res.writableEnded) closedEarly.push(req.url ?? "")
    })
    res.writeHead(200, { "content-type": "text/event-stream" })
    answers[req.url ?? ""]?.(res)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

const closedEarlyFor = (path: string) =>
  Effect.promise(async () => {
    for (let i = 0; i < 200 && !closedEarly.includes(path); i++) await new Promise((resolve) => setTimeout(resolve, 10))
    return closedEarly.includes(path)
  })

const call = { prompt: Prompt.make("hello"), toolkit: ModelToolkit.fromToolkit(BuiltinTools), toolChoice: "auto" as const }

const modelAt = (path: string) =>
  ChatCompletions.modelStream({ baseUrl: baseUrl + path, apiKey: undefined, model: "m" })

describe("UndiciClient", () => {
  it.effect("a body is taken once, and not at all once a response method read it", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const taken = yield* client.get(`${baseUrl}/text`)
      const body = UndiciClient.takeBody(taken)
      expect(body).toBeDefined()
      expect(UndiciClient.takeBody(taken)).toBeUndefined()
      body!.destroy()
      const read = yield* client.get(`${baseUrl}/text`)
      expect(yield* read.text).toBe("hello")
      expect(yield* read.text).toBe("hello")
      expect(UndiciClient.takeBody(read)).toBeUndefined()
    }).pipe(Effect.provide(UndiciClient.layer)))

  it.effect("Chat Completions reads the body as a Node stream: the parts in order, and the request released at [DONE]", () =>
    Effect.gen(function*() {
      const model = yield* modelAt("")
      const deltas: Array<string> = []
      yield* model.forEachRead!(call, (parts: ReadonlyArray<ModelPart>) =>
        Effect.sync(() => {
          for (const part of parts) if (part.type === "text-delta") deltas.push(part.delta)
        }))
      expect(deltas).toEqual(["Hi ", "there"])
      expect(yield* closedEarlyFor("/v1/chat/completions")).toBe(true)
    }).pipe(Effect.provide(UndiciClient.layer)))

  it.effect("interrupting the read (a stopped run) aborts the request", () =>
    Effect.gen(function*() {
      const model = yield* modelAt("/slow")
      const first = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(model.forEachRead!(call, () => Deferred.succeed(first, undefined)))
      yield* Deferred.await(first)
      yield* Fiber.interrupt(fiber)
      expect(yield* closedEarlyFor("/v1/slow/chat/completions")).toBe(true)
    }).pipe(Effect.provide(UndiciClient.layer)))

  it.effect("a connection cut mid-answer fails the read with HttpResponseError, as a body stream's error does", () =>
    Effect.gen(function*() {
      const model = yield* modelAt("/cut")
      const error = yield* Effect.flip(model.forEachRead!(call, () => Effect.void))
      expect(error).toMatchObject({ _tag: "HttpResponseError" })
    }).pipe(Effect.provide(UndiciClient.layer)))
})
