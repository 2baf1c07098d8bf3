import type * as Response from "@effect/ai/Response"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Schema, Stream } from "effect"
import * as ChatStream from "../../src/agent/openai/ChatStream.js"

const encoder = new TextEncoder()

// The body as the given network chunks (split anywhere, even inside a line or a character).
const body = (...pieces: ReadonlyArray<string | Uint8Array>) =>
  Stream.fromIterable(pieces.map((piece) => typeof piece === "string" ? encoder.encode(piece) : piece))

const chunk = (delta: object, finishReason: string | null = null) =>
  `data: ${JSON.stringify({ id: "c1", model: "m", created: 1, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`

const ids = () => {
  let n = 0
  return () => `generated-${++n}`
}

const partsOf = (bytes: Stream.Stream<Uint8Array>) =>
  Effect.map(Stream.runCollect(ChatStream.parts(bytes, ids())), Chunk.toArray)

const failureOf = (bytes: Stream.Stream<Uint8Array>) => Effect.flip(partsOf(bytes))

const typesOf = (parts: ReadonlyArray<Response.StreamPartEncoded>) => parts.map((part) => part.type)

describe("ChatStream", () => {
  it.effect("reads text deltas from SSE split at arbitrary points, CRLF and comments included", () =>
    Effect.gen(function*() {
      const whole = `: keep-alive\r\n\r\n${chunk({ role: "assistant", content: "Hel" })}${chunk({ content: "lo, wörld" })}${
        chunk({}, "stop")
      }data: [DONE]\n\n`
      const bytes = encoder.encode(whole)
      // every 7 bytes: lines, JSON and the "ö" are all cut somewhere
      const pieces: Array<Uint8Array> = []
      for (let i = 0; i < bytes.length; i += 7) pieces.push(bytes.slice(i, i + 7))
      const parts = yield* partsOf(body(...pieces))
      expect(typesOf(parts)).toEqual(["response-metadata", "text-start", "text-delta", "text-delta", "text-end", "finish"])
      const text = parts.flatMap((part) => part.type === "text-delta" ? [part.delta] : []).join("")
      expect(text).toBe("Hello, wörld")
      expect(parts.at(-1)).toMatchObject({ type: "finish", reason: "stop" })
    }))

  it.effect("assembles streamed tool calls from index/id/name/argument fragments, two at once", () =>
    Effect.gen(function*() {
      const parts = yield* partsOf(body(
        chunk({ tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "calculator", arguments: "" } }] }),
        chunk({ tool_calls: [{ index: 1, id: "call_b", type: "function", function: { name: "clock", arguments: "{\"time" } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: "{\"expression\":" } }] }),
        chunk({ tool_calls: [{ index: 1, function: { arguments: "zone\":\"UTC\"}" } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: " \"17 * 23\"}" } }] }),
        chunk({}, "tool_calls"),
        "data: [DONE]\n\n"
      ))
      const calls = parts.filter((part) => part.type === "tool-call")
      expect(calls).toEqual([
        { type: "tool-call", id: "call_a", name: "calculator", params: { expression: "17 * 23" } },
        { type: "tool-call", id: "call_b", name: "clock", params: { timezone: "UTC" } }
      ])
      expect(parts.filter((part) => part.type === "tool-params-start")).toEqual([
        { type: "tool-params-start", id: "call_a", name: "calculator" },
        { type: "tool-params-start", id: "call_b", name: "clock" }
      ])
      expect(parts.at(-1)).toMatchObject({ type: "finish", reason: "tool-calls" })
    }))

  it.effect("gives a tool call without an id one, and reads empty arguments as {}", () =>
    Effect.gen(function*() {
      const parts = yield* partsOf(body(
        chunk({ tool_calls: [{ function: { name: "clock", arguments: "" } }] }),
        chunk({}, "stop"),
        "data: [DONE]\n\n"
      ))
      expect(parts.find((part) => part.type === "tool-call")).toEqual({
        type: "tool-call",
        id: "generated-1",
        name: "clock",
        params: {}
      })
      // a server may say "stop" with tool calls: the calls decide
      expect(parts.at(-1)).toMatchObject({ type: "finish", reason: "tool-calls" })
    }))

  it.effect("stops reading at [DONE]", () =>
    Effect.gen(function*() {
      const parts = yield* partsOf(body(chunk({ content: "a" }), chunk({}, "stop"), "data: [DONE]\n\n", "data: {oops\n\n"))
      expect(typesOf(parts)).toEqual(["response-metadata", "text-start", "text-delta", "text-end", "finish"])
    }))

  it.effect("accepts [DONE] without a finish_reason as the end", () =>
    Effect.gen(function*() {
      const parts = yield* partsOf(body(chunk({ content: "a" }), "data: [DONE]\n\n"))
      expect(parts.at(-1)).toMatchObject({ type: "finish", reason: "stop" })
    }))

  it.effect("fails when the body ends before the model finished", () =>
    Effect.gen(function*() {
      const error = yield* failureOf(body(chunk({ content: "Hel" }), chunk({ content: "lo" })))
      expect(error._tag).toBe("MalformedOutput")
      expect(error.message).toContain("ended before the model finished")
    }))

  it.effect("fails when an event's data is not JSON, or not a chunk", () =>
    Effect.gen(function*() {
      const notJson = yield* failureOf(body(chunk({ content: "a" }), "data: {nope\n\n"))
      expect(notJson._tag).toBe("MalformedOutput")
      const notChunk = yield* failureOf(body("data: {\"choices\": 42}\n\n"))
      expect(notChunk._tag).toBe("MalformedOutput")
      const notText = yield* failureOf(body("data: {\"choices\": [{\"delta\": {\"content\": 42}}]}\n\n"))
      expect(notText.message).toContain("not a chat completion chunk")
    }))

  it.effect("fails when a tool call's arguments are not JSON", () =>
    Effect.gen(function*() {
      const error = yield* failureOf(body(
        chunk({ tool_calls: [{ index: 0, id: "x", function: { name: "calculator", arguments: "{\"expression\": " } }] }),
        chunk({}, "tool_calls")
      ))
      expect(error._tag).toBe("MalformedOutput")
      expect(error.message).toContain("not JSON")
    }))

  it.effect("fails when an answer holds more tool calls, or more argument text, than allowed", () =>
    Effect.gen(function*() {
      const calls = Array.from({ length: ChatStream.maxToolCalls + 1 }, (_, index) =>
        chunk({ tool_calls: [{ index, id: `c${index}`, function: { name: "clock", arguments: "" } }] }))
      expect((yield* failureOf(body(...calls))).message).toContain("tool calls")
      const piece = "x".repeat(65_536)
      const pieces = Array.from({ length: ChatStream.maxToolArgumentChars / piece.length + 1 }, () =>
        chunk({ tool_calls: [{ index: 0, id: "c", function: { name: "clock", arguments: piece } }] }))
      expect((yield* failureOf(body(...pieces))).message).toContain("arguments longer")
    }))

  it.effect("turns an error the server sends inside the stream into an error part", () =>
    Effect.gen(function*() {
      const parts = yield* partsOf(body(
        chunk({ content: "a" }),
        `data: ${JSON.stringify({ error: { message: "model overloaded" } })}\n\n`
      ))
      expect(parts.at(-1)).toEqual({ type: "error", error: { message: "model overloaded" } })
    }))

  it("accepts by hand only chunks the schema accepts", () => {
    const samples: ReadonlyArray<unknown> = [
      { id: "c", model: "m", created: 1, choices: [{ index: 0, delta: { content: "a" }, finish_reason: null }] },
      { choices: [] },
      { choices: [{ delta: null }, { delta: { content: null, role: "assistant" } }] },
      { id: null, model: null, created: null, object: "chat.completion.chunk", choices: [{ index: null, finish_reason: "stop" }] },
      { choices: [{ delta: { content: 5 } }] },
      { choices: [{ delta: "text" }] },
      { choices: [{ index: "0", delta: { content: "a" } }] },
      { choices: [{ finish_reason: 1 }] },
      { choices: [null] },
      { choices: {} },
      { id: 1, choices: [] },
      { created: "now", choices: [] },
      { usage: { total_tokens: "many" }, choices: [] },
      { choices: [{ delta: { tool_calls: [{ index: "x" }] } }] },
      [],
      null,
      "chunk"
    ]
    const accepted = samples.filter(ChatStream.isTextChunk)
    expect(accepted).toHaveLength(4)
    for (const sample of accepted) expect(Schema.is(ChatStream.CompletionChunk)(sample)).toBe(true)
  })

  it("ignores choices other than the first and tolerates nulls", () => {
    const decoder = new ChatStream.Decoder(ids())
    const parts = decoder.event(JSON.stringify({
      id: null,
      choices: [
        { index: 1, delta: { content: "other" }, finish_reason: null },
        { index: 0, delta: { content: "mine", tool_calls: null }, finish_reason: null }
      ]
    }))
    expect(Either.getOrThrow(parts).filter((part) => part.type === "text-delta")).toEqual([
      { type: "text-delta", id: "text", delta: "mine" }
    ])
  })
})
