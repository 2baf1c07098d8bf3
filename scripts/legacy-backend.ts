/**
 * A stand-in for an existing chat backend, speaking PROTOCOL §8's legacy
 * protocol, to try a takeover locally:
 *
 *   npx tsx scripts/legacy-backend.ts [--port 9090] [--fail-rate 0.2] [--delay-ms 30]
 *   LEGACY_BACKEND_URL=http://localhost:9090/ws-handler npm start
 *
 * `POST /ws-handler` with `{user_id, type, id, payload}` answers
 * `200 {result, events}`: a chat type starts a "run" whose events come back
 * with the answer (the old way: all at once), any other type echoes. With
 * `--fail-rate`, that share of requests answers `503` (watch retries, the
 * breaker and fallbacks); `--delay-ms` slows every answer down.
 */
import { createServer } from "node:http"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "9090" },
    "fail-rate": { type: "string", default: "0" },
    "delay-ms": { type: "string", default: "0" }
  }
})
const port = Number(values.port)
const failRate = Number(values["fail-rate"])
const delayMs = Number(values["delay-ms"])

interface LegacyRequest {
  readonly user_id: string
  readonly type: string
  readonly id: string | null
  readonly payload: Record<string, unknown>
}

let runs = 0

const answer = (request: LegacyRequest): object => {
  if (request.type === "user_message" || request.type === "start_agent" || request.type === "agent_request") {
    const runId = `legacy-${++runs}`
    const text = `(legacy) you said: ${String(request.payload["text"] ?? "")}`
    return {
      result: { run_id: runId },
      events: [
        { type: "agent_started", payload: { run_id: runId, agent: "legacy" } },
        { type: "agent_thinking", payload: { run_id: runId, text: "Looking it up the old way." } },
        { type: "agent_message_delta", payload: { run_id: runId, text } },
        { type: "agent_completed", payload: { run_id: runId, status: "completed", response: { text } } }
      ]
    }
  }
  return { result: { served_by: "legacy", type: request.type, user_id: request.user_id } }
}

const server = createServer((req, res) => {
  const chunks: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => chunks.push(chunk))
  req.on("end", () => {
    const reply = () => {
      if (req.method !== "POST") {
        res.writeHead(405).end()
        return
      }
      let request: LegacyRequest
      try {
        request = JSON.parse(Buffer.concat(chunks).toString("utf8")) as LegacyRequest
      } catch {
        res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: "not JSON" }))
        return
      }
      const failed = Math.random() < failRate
      console.log(`${request.type} from ${request.user_id} (id ${request.id}) -> ${failed ? 503 : 200}`)
      if (failed) {
        res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ error: "overloaded" }))
        return
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer(request)))
    }
    if (delayMs > 0) setTimeout(reply, delayMs)
    else reply()
  })
})

server.listen(port, () => {
  console.log(`legacy backend on http://localhost:${port}/ws-handler (fail rate ${failRate}, delay ${delayMs} ms)`)
})
