import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

/**
 * A fake OpenAI-compatible server for tests (node:http on a free port, no
 * network): it speaks `POST /v1/chat/completions` and `POST /v1/responses`,
 * both streamed as server-sent events in the format of each API, and answers
 * each request with the `Reply` the test's script picks. It records every
 * request and every request the client aborted.
 */

/** What the fake answers to one request. */
export type Reply =
  /** streamed text, then a normal finish */
  | { readonly _tag: "Text"; readonly chunks: ReadonlyArray<string> }
  /** one tool call, its JSON arguments streamed in the given fragments */
  | { readonly _tag: "ToolCall"; readonly id: string; readonly name: string; readonly fragments: ReadonlyArray<string> }
  /** an HTTP error status with an OpenAI-style error body */
  | { readonly _tag: "Status"; readonly status: number }
  /** streamed text, then the response ends without the model finishing */
  | { readonly _tag: "Cut"; readonly chunks: ReadonlyArray<string> }
  /** streamed text, then an event whose data is not JSON */
  | { readonly _tag: "Garbage"; readonly chunks: ReadonlyArray<string> }
  /** streamed text, then nothing more: the response stays open until the client goes away */
  | { readonly _tag: "Hang"; readonly chunks: ReadonlyArray<string> }

/** One message of a request, whichever API it came through. */
export interface FakeMessage {
  readonly role: "system" | "user" | "assistant" | "tool" | "tool_call"
  readonly text: string
}

/** A request the fake received. */
export interface FakeRequest {
  readonly api: "chat" | "responses"
  readonly body: Record<string, unknown>
  /** the conversation it carries, normalised across the two APIs */
  readonly messages: ReadonlyArray<FakeMessage>
  /** the text of its last user message */
  readonly lastUserText: string
  /** the outputs of tool calls it carries (JSON text) */
  readonly toolOutputs: ReadonlyArray<string>
}

/** A running fake. */
export interface FakeOpenAi {
  /** e.g. `http://127.0.0.1:40123/v1` */
  readonly baseUrl: string
  readonly requests: ReadonlyArray<FakeRequest>
  /** how many responses the client abandoned before they were complete */
  readonly aborted: () => number
  /** resolves at the next abandoned response (or at once if `count` were seen already) */
  readonly abortedAtLeast: (count: number) => Promise<void>
  /** resolves once `count` requests have arrived */
  readonly requestsAtLeast: (count: number) => Promise<void>
  readonly close: () => Promise<void>
}

const asRecord = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null ? value as Record<string, unknown> : {}

const textOf = (content: unknown): string => {
  if (typeof content === "string") return content
  if (Array.isArray(content)) return content.map((part) => String(asRecord(part)["text"] ?? "")).join("")
  return ""
}

const normalise = (api: FakeRequest["api"], body: Record<string, unknown>): ReadonlyArray<FakeMessage> => {
  const out: Array<FakeMessage> = []
  if (api === "chat") {
    for (const raw of (body["messages"] as Array<unknown> | undefined) ?? []) {
      const message = asRecord(raw)
      const role = message["role"] as FakeMessage["role"]
      if (role === "assistant" && Array.isArray(message["tool_calls"])) {
        for (const call of message["tool_calls"]) {
          const fn = asRecord(asRecord(call)["function"])
          out.push({ role: "tool_call", text: `${String(fn["name"])} ${String(fn["arguments"])}` })
        }
        if (typeof message["content"] === "string" && message["content"].length > 0) {
          out.push({ role, text: message["content"] })
        }
      } else {
        out.push({ role, text: textOf(message["content"]) })
      }
    }
  } else {
    for (const raw of (body["input"] as Array<unknown> | undefined) ?? []) {
      const item = asRecord(raw)
      if (item["type"] === "function_call") {
        out.push({ role: "tool_call", text: `${String(item["name"])} ${String(item["arguments"])}` })
      } else if (item["type"] === "function_call_output") {
        out.push({ role: "tool", text: String(item["output"]) })
      } else {
        const role = item["role"] === "developer" ? "system" : item["role"] as FakeMessage["role"]
        out.push({ role, text: textOf(item["content"]) })
      }
    }
  }
  return out
}

// ---------------------------------------------------------------------------
// Chat Completions events

const chatChunk = (delta: object, finishReason: string | null = null): string =>
  `data: ${
    JSON.stringify({
      id: "chatcmpl-fake",
      object: "chat.completion.chunk",
      created: 1_700_000_000,
      model: "fake-model",
      choices: [{ index: 0, delta, finish_reason: finishReason }]
    })
  }\n\n`

/** The SSE events of a reply in the Chat Completions format (without the ending, for `Cut`/`Hang`). */
export const chatEvents = (reply: Exclude<Reply, { _tag: "Status" }>): Array<string> => {
  switch (reply._tag) {
    case "Text":
      return [
        ...reply.chunks.map((chunk, i) => chatChunk(i === 0 ? { role: "assistant", content: chunk } : { content: chunk })),
        chatChunk({}, "stop"),
        "data: [DONE]\n\n"
      ]
    case "ToolCall":
      return [
        chatChunk({
          role: "assistant",
          content: null,
          tool_calls: [{ index: 0, id: reply.id, type: "function", function: { name: reply.name, arguments: "" } }]
        }),
        ...reply.fragments.map((fragment) => chatChunk({ tool_calls: [{ index: 0, function: { arguments: fragment } }] })),
        chatChunk({}, "tool_calls"),
        "data: [DONE]\n\n"
      ]
    case "Cut":
    case "Hang":
      return reply.chunks.map((chunk) => chatChunk({ content: chunk }))
    case "Garbage":
      return [...reply.chunks.map((chunk) => chatChunk({ content: chunk })), "data: {this is not json\n\n"]
  }
}

// ---------------------------------------------------------------------------
// Responses events (the shapes `@effect/ai-openai`'s ResponseStreamEvent decodes)

const responseObject = (status: "in_progress" | "completed", output: ReadonlyArray<object>) => ({
  id: "resp_fake",
  object: "response",
  created_at: 1_700_000_000,
  status,
  error: null,
  incomplete_details: null,
  instructions: null,
  model: "fake-model",
  output,
  parallel_tool_calls: true,
  tool_choice: "auto",
  tools: [],
  metadata: {},
  temperature: null,
  top_p: null,
  usage: status === "completed"
    ? {
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 15
    }
    : null
})

/** The events (as objects) of a reply in the Responses format (without the ending, for `Cut`/`Hang`). */
export const responsesEventObjects = (reply: Exclude<Reply, { _tag: "Status" | "Garbage" }>): Array<object> => {
  let sequence = 0
  const event = (fields: object) => ({ ...fields, sequence_number: sequence++ })
  const created = event({ type: "response.created", response: responseObject("in_progress", []) })
  if (reply._tag === "ToolCall") {
    const pending = { type: "function_call", id: "fc_fake", call_id: reply.id, name: reply.name, arguments: "", status: "in_progress" }
    const done = { ...pending, arguments: reply.fragments.join(""), status: "completed" }
    return [
      created,
      event({ type: "response.output_item.added", output_index: 0, item: pending }),
      ...reply.fragments.map((delta) =>
        event({ type: "response.function_call_arguments.delta", output_index: 0, item_id: "fc_fake", delta })
      ),
      event({ type: "response.output_item.done", output_index: 0, item: done }),
      event({ type: "response.completed", response: responseObject("completed", [done]) })
    ]
  }
  const message = { type: "message", id: "msg_fake", role: "assistant", status: "in_progress", content: [] }
  const deltas = reply.chunks.map((delta) =>
    event({ type: "response.output_text.delta", output_index: 0, content_index: 0, item_id: "msg_fake", delta, logprobs: [] })
  )
  if (reply._tag !== "Text") return [created, event({ type: "response.output_item.added", output_index: 0, item: message }), ...deltas]
  const done = {
    ...message,
    status: "completed",
    content: [{ type: "output_text", text: reply.chunks.join(""), annotations: [] }]
  }
  return [
    created,
    event({ type: "response.output_item.added", output_index: 0, item: message }),
    ...deltas,
    event({ type: "response.output_item.done", output_index: 0, item: done }),
    event({ type: "response.completed", response: responseObject("completed", [done]) })
  ]
}

const responsesEvents = (reply: Exclude<Reply, { _tag: "Status" }>): Array<string> => {
  const sse = (object: object) => `event: ${String(asRecord(object)["type"])}\ndata: ${JSON.stringify(object)}\n\n`
  if (reply._tag === "Garbage") {
    // the client skips events it cannot decode, so the stream then ends unfinished
    return [...responsesEventObjects({ _tag: "Cut", chunks: reply.chunks }).map(sse), "data: {this is not json\n\n"]
  }
  return responsesEventObjects(reply).map(sse)
}

// ---------------------------------------------------------------------------

/** Starts the fake on 127.0.0.1 and a free port; `respond` picks each reply. */
export const startFakeOpenAi = async (respond: (request: FakeRequest) => Reply): Promise<FakeOpenAi> => {
  const requests: Array<FakeRequest> = []
  let aborted = 0
  let waiters: Array<() => void> = []
  const open = new Set<ServerResponse>()
  const notify = () => {
    const current = waiters
    waiters = []
    for (const wake of current) wake()
  }
  const until = (done: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      const check = () => (done() ? resolve() : waiters.push(check))
      check()
    })

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Array<Buffer> = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const api = req.url === "/v1/chat/completions" ? "chat" : req.url === "/v1/responses" ? "responses" : undefined
    if (req.method !== "POST" || api === undefined) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "not found" } }))
      return
    }
    const body = asRecord(JSON.parse(Buffer.concat(chunks).toString("utf8")))
    const messages = normalise(api, body)
    const request: FakeRequest = {
      api,
      body,
      messages,
      lastUserText: messages.filter((m) => m.role === "user").at(-1)?.text ?? "",
      toolOutputs: messages.filter((m) => m.role === "tool").map((m) => m.text)
    }
    requests.push(request)
    notify()
    const reply = respond(request)
    if (reply._tag === "Status") {
      res.writeHead(reply.status, { "content-type": "application/json" }).end(
        JSON.stringify({ error: { message: `fake failure ${reply.status}`, type: "fake_error", code: null } })
      )
      return
    }
    open.add(res)
    res.on("close", () => {
      open.delete(res)
      if (!res.writableFinished) {
        aborted++
        notify()
      }
    })
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" })
    res.flushHeaders()
    for (const event of api === "chat" ? chatEvents(reply) : responsesEvents(reply)) res.write(event)
    if (reply._tag !== "Hang") res.end()
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    aborted: () => aborted,
    abortedAtLeast: (count) => until(() => aborted >= count),
    requestsAtLeast: (count) => until(() => requests.length >= count),
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
