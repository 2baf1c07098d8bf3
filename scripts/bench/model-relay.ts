/**
 * The baselines' agent run in the `stream` scenario: what a plain Node
 * program relaying a model does. It POSTs the question to the model server's
 * `/chat/completions` (node:http, one keep-alive pool), reads the SSE answer,
 * `JSON.parse`s each chunk and hands its text on as an `agent_message_delta`,
 * framed like the service's run of a model: `agent_started`, one
 * `agent_thinking`, the deltas, `agent_completed` with the whole text.
 * No retries, timeouts, schemas or tools: the minimum of the relay.
 */
import { Agent, request } from "node:http"
import type { EmulatedEvent } from "./baseline-run.js"
import { readChunk, SseDataReader } from "./model-stream.js"

const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY })

const SYSTEM_PROMPT = "You are a helpful assistant in a chat."

/** Relays one run's answer from the model server at `baseUrl` (e.g. `http://127.0.0.1:8092/v1`) to `emit`. */
export const relayRun = (baseUrl: string, runId: string, text: string, emit: (event: EmulatedEvent) => void): void => {
  emit({ type: "agent_started", payload: { run_id: runId, agent: "baseline" } })
  emit({ type: "agent_thinking", payload: { text: "Asking bench-model." } })
  let answer = ""
  let ended = false
  const end = (status: "completed" | "failed", message?: string): void => {
    if (ended) return
    ended = true
    emit({
      type: "agent_completed",
      payload: status === "completed"
        ? { run_id: runId, status, response: { text: answer } }
        : { run_id: runId, status, error: { code: "MODEL_ERROR", message: message ?? "the model server failed" } }
    })
  }
  const req = request(`${baseUrl.replace(/\/+$/, "")}/chat/completions`, {
    method: "POST",
    agent,
    headers: { "content-type": "application/json", accept: "text/event-stream" }
  }, (res) => {
    if (res.statusCode !== 200) {
      res.resume()
      return end("failed", `HTTP ${res.statusCode ?? "?"}`)
    }
    const reader = new SseDataReader()
    let finished = false
    res.setEncoding("utf8")
    res.on("data", (piece: string) => {
      for (const data of reader.feed(piece)) {
        const chunk = readChunk(data)
        if (chunk === undefined) return end("failed", "not a chat completion chunk")
        if (chunk.content.length > 0 && !ended) {
          answer += chunk.content
          emit({ type: "agent_message_delta", payload: { text: chunk.content } })
        }
        if (chunk.finished) finished = true
      }
    })
    res.on("end", () => (finished ? end("completed") : end("failed", "the stream ended before the model finished")))
    res.on("error", (err) => end("failed", err.message))
  })
  req.on("error", (err) => end("failed", err.message))
  req.end(JSON.stringify({
    model: "bench-model",
    stream: true,
    messages: [{ role: "system", content: SYSTEM_PROMPT }, { role: "user", content: text }]
  }))
}
