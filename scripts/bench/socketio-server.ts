/**
 * The cluster scenario's Socket.IO baseline: one node of a Socket.IO 4
 * cluster joined by @socket.io/redis-adapter, doing the same fan-out as the
 * service's cluster mode the way a Socket.IO application would: a room per
 * user, every connection joins its user's room, `user_message` (with a
 * Socket.IO acknowledgement) starts an emulated agent run (baseline-run.ts;
 * or, with BASELINE_MODEL_URL, a relay of the model server's answer) whose events are broadcast to the room, on every node, through Redis.
 * WebSocket transport only (no long-polling), as the bench client connects.
 *
 * What it does not do, unlike the service: a per-user `seq` across nodes,
 * history, resume, dedupe, schemas. Each event's `seq` is its place in its run.
 *
 * Env: PORT, HOST (127.0.0.1), JWT_SECRET (required), REDIS_URL (none: a
 * single node without an adapter), AGENT_STEP_MS (20), BASELINE_EVENTS_PER_RUN (8),
 * BASELINE_MODEL_URL (the `stream` scenario: runs relay that model server's answer, model-relay.ts).
 */
import { randomUUID } from "node:crypto"
import { createServer } from "node:http"
import { createAdapter } from "@socket.io/redis-adapter"
import { Redis } from "ioredis"
import { Server } from "socket.io"
import { type EmulatedEvent, emulatedRun, playRun } from "./baseline-run.js"
import { relayRun } from "./model-relay.js"
import * as Jwt from "../../src/transport/Jwt.js"

const intEnv = (name: string, fallback: number): number => {
  const value = Number(process.env[name])
  return Number.isInteger(value) && value >= 0 && process.env[name] !== "" ? value : fallback
}

const secret = process.env["JWT_SECRET"]
if (secret === undefined || secret === "") {
  process.stderr.write("socket.io baseline: JWT_SECRET is required\n")
  process.exit(1)
}
const port = intEnv("PORT", 8091)
const host = process.env["HOST"] ?? "127.0.0.1"
const eventsPerRun = intEnv("BASELINE_EVENTS_PER_RUN", 8)
const stepMs = intEnv("AGENT_STEP_MS", 20)
const redisUrl = process.env["REDIS_URL"]
const modelUrl = process.env["BASELINE_MODEL_URL"] || undefined

const http = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" }).end("{\"status\":\"ok\"}")
  } else if (req.url?.startsWith("/socket.io/") !== true) res.writeHead(404).end()
})

const io = new Server(http, { transports: ["websocket"], serveClient: false, perMessageDeflate: false })
const redis = redisUrl === undefined || redisUrl === "" ? [] : [new Redis(redisUrl), new Redis(redisUrl)]
if (redis.length === 2) io.adapter(createAdapter(redis[0], redis[1]))

const room = (userId: string): string => `user:${userId}`

// the work any authenticating server does on connect: the service's own HS256 check (PROTOCOL §2)
io.use((socket, next) => {
  const token: unknown = socket.handshake.auth["token"]
  const verified = typeof token === "string" ? Jwt.verify(token, secret, Math.floor(Date.now() / 1000)) : undefined
  if (verified?._tag !== "Right") return next(new Error("unauthorized"))
  socket.data.userId = verified.right.sub
  next()
})

io.on("connection", (socket) => {
  const userId = socket.data.userId as string
  void socket.join(room(userId))
  socket.on("user_message", (payload: unknown, ack: unknown) => {
    const runId = `r-${randomUUID()}`
    if (typeof ack === "function") ack({ status: "ok", result: { run_id: runId } })
    let seq = 0
    const emit = (event: EmulatedEvent): void => {
      seq += 1
      io.to(room(userId)).emit("frame", { type: event.type, seq, run_id: runId, payload: event.payload, ts: new Date().toISOString() })
    }
    const text: unknown = typeof payload === "object" && payload !== null ? Reflect.get(payload, "text") : undefined
    if (modelUrl !== undefined) relayRun(modelUrl, runId, typeof text === "string" ? text : "", emit)
    else playRun(emulatedRun(runId, eventsPerRun), stepMs, emit)
  })
})

http.listen(port, host, () => process.stderr.write(`socket.io baseline listening on ${host}:${port}${redis.length > 0 ? " (redis adapter)" : ""}\n`))

const shutdown = (): void => {
  void io.close()
  for (const client of redis) client.disconnect()
  setTimeout(() => process.exit(0), 500).unref()
}
process.on("SIGTERM", shutdown)
process.on("SIGINT", shutdown)
