/**
 * The `stream` scenario's fake OpenAI-compatible model server, in its own
 * process (its CPU is not the server's): `POST /v1/chat/completions` answers
 * every request with a Chat Completions stream of MODEL_DELTAS_PER_RUN text
 * deltas, MODEL_DELTA_RATE a second, each delta's text carrying its index
 * and the moment it was written (model-stream.ts), then a `stop` finish and
 * `[DONE]`. The request's content is read and ignored: every run gets the
 * same kind of answer, whoever asks (the service, or a baseline's relay).
 *
 * Env: PORT (8092), HOST (127.0.0.1), MODEL_DELTAS_PER_RUN (250), MODEL_DELTA_RATE (50).
 */
import { createServer, type ServerResponse } from "node:http"
import { chunkEvent, deltaText, DONE_EVENT, monotonicMicros } from "./model-stream.js"

const intEnv = (name: string, fallback: number): number => {
  const value = Number(process.env[name])
  return Number.isInteger(value) && value > 0 && process.env[name] !== "" ? value : fallback
}

const port = intEnv("PORT", 8092)
const host = process.env["HOST"] ?? "127.0.0.1"
const deltasPerRun = intEnv("MODEL_DELTAS_PER_RUN", 250)
const intervalMs = 1000 / intEnv("MODEL_DELTA_RATE", 50)
const MODEL = "bench-model"

let answers = 0

/**
 * Streams one answer on `res`: delta k is due `(k + 1) × interval` after the
 * start. A late timer writes every delta due by then (each stamped as it is
 * written), so the rate holds however busy the process is.
 */
const stream = (res: ServerResponse): void => {
  const id = `chatcmpl-${++answers}`
  const created = Math.floor(Date.now() / 1000)
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" })
  res.write(chunkEvent(id, created, MODEL, { role: "assistant", content: "" }, null))
  const start = performance.now()
  let next = 0
  let timer: NodeJS.Timeout | undefined
  const tick = (): void => {
    const now = performance.now()
    while (next < deltasPerRun && start + (next + 1) * intervalMs <= now) {
      res.write(chunkEvent(id, created, MODEL, { content: deltaText(next, monotonicMicros()) }, null))
      next += 1
    }
    if (next < deltasPerRun) {
      timer = setTimeout(tick, Math.max(0, start + (next + 1) * intervalMs - performance.now()))
      return
    }
    res.write(chunkEvent(id, created, MODEL, {}, "stop"))
    res.end(DONE_EVENT)
  }
  timer = setTimeout(tick, intervalMs)
  // the client went away (a stopped run, a server shutting down): stop writing
  res.on("close", () => clearTimeout(timer))
}

const http = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" }).end("{\"status\":\"ok\"}")
  } else if (req.method === "POST" && req.url === "/v1/chat/completions") {
    req.resume()
    req.on("end", () => stream(res))
  } else res.writeHead(404).end()
})
// a streamed answer lasts seconds; the client's keep-alive pool reuses the connections
http.keepAliveTimeout = 60_000
http.listen(port, host, () => process.stderr.write(`fake model server on ${host}:${port}: ${deltasPerRun} deltas at ${1000 / intervalMs}/s\n`))

const shutdown = (): void => {
  http.closeAllConnections()
  http.close(() => process.exit(0))
  setTimeout(() => process.exit(0), 500).unref()
}
process.on("SIGTERM", shutdown)
process.on("SIGINT", shutdown)
