/**
 * The raw `ws` baseline: a ws 8 WebSocketServer doing the minimal work of
 * the protocol (see baseline-handler.ts), `/health` on the same HTTP server.
 *
 * Env: PORT (8090), HOST (127.0.0.1), JWT_SECRET (required), MAX_MESSAGE_BYTES
 * (1 MiB), AGENT_STEP_MS (20), BASELINE_EVENTS_PER_RUN (8), HEARTBEAT_MS (30000),
 * BASELINE_MODEL_URL (unset: emulated runs; set: runs relay that model server, model-relay.ts).
 *
 *   JWT_SECRET=s node --import tsx scripts/bench/baseline-server.ts
 */
import { createServer } from "node:http"
import { type WebSocket, WebSocketServer } from "ws"
import { type BaselineSettings, closeConnection, handleBinary, handleText, openConnection } from "./baseline-handler.js"
import * as Jwt from "../../src/transport/Jwt.js"

// the work any authenticating server does on upgrade: the service's own HS256 check (PROTOCOL §2)
const verifiedUser = (token: string, secret: string): string | undefined => {
  const verified = Jwt.verify(token, secret, Math.floor(Date.now() / 1000))
  return verified._tag === "Right" ? verified.right.sub : undefined
}

const intEnv = (name: string, fallback: number): number => {
  const value = Number(process.env[name])
  return Number.isInteger(value) && value >= 0 && process.env[name] !== "" ? value : fallback
}

const secret = process.env["JWT_SECRET"]
if (secret === undefined || secret === "") {
  process.stderr.write("baseline: JWT_SECRET is required\n")
  process.exit(1)
}
const port = intEnv("PORT", 8090)
const host = process.env["HOST"] ?? "127.0.0.1"
const settings: BaselineSettings = {
  eventsPerRun: intEnv("BASELINE_EVENTS_PER_RUN", 8),
  stepMs: intEnv("AGENT_STEP_MS", 20),
  heartbeatMs: intEnv("HEARTBEAT_MS", 30_000),
  modelUrl: process.env["BASELINE_MODEL_URL"] || undefined
}

const http = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" }).end("{\"status\":\"ok\"}")
  } else res.writeHead(404).end()
})

const wss = new WebSocketServer({ noServer: true, maxPayload: intEnv("MAX_MESSAGE_BYTES", 1024 * 1024) })
const alive = new WeakMap<WebSocket, boolean>()

const bearer = (header: string | undefined): string | undefined =>
  header?.startsWith("Bearer ") === true ? header.slice("Bearer ".length) : undefined

http.on("upgrade", (req, socket, head) => {
  const url = new URL(req.url ?? "/", "http://localhost")
  const token = bearer(req.headers.authorization) ?? url.searchParams.get("access_token") ?? ""
  const userId = url.pathname === "/ws" ? verifiedUser(token, secret) : undefined
  if (userId === undefined) {
    socket.end(`HTTP/1.1 ${url.pathname === "/ws" ? "401 Unauthorized" : "404 Not Found"}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    return
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const conn = openConnection(ws, userId, settings)
    alive.set(ws, true)
    ws.on("pong", () => alive.set(ws, true))
    ws.on("message", (data, isBinary) => (isBinary ? handleBinary(conn) : handleText(conn, data.toString(), settings)))
    ws.on("close", () => closeConnection(conn))
    ws.on("error", () => ws.terminate())
  })
})

// one timer for all connections: ping, and drop peers that missed the last ping
setInterval(() => {
  for (const ws of wss.clients) {
    if (alive.get(ws) === false) ws.terminate()
    else {
      alive.set(ws, false)
      ws.ping()
    }
  }
}, settings.heartbeatMs).unref()

http.listen(port, host, () => process.stderr.write(`baseline listening on ${host}:${port}\n`))

const shutdown = (): void => {
  for (const ws of wss.clients) ws.terminate()
  http.close(() => process.exit(0))
  setTimeout(() => process.exit(0), 1000).unref()
}
process.on("SIGTERM", shutdown)
process.on("SIGINT", shutdown)
