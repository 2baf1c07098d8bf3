/**
 * A tiny client for a running service: sends one chat message and prints
 * every frame until the run completes.
 *
 *   npm run chat -- "what is 17 * 23"
 *
 * Env: URL (default ws://localhost:8080/ws), TOKEN (default: a development
 * token for USER_ID, default "alice", signed with JWT_SECRET or the dev secret).
 */
import WebSocket from "ws"
import { DEVELOPMENT_SECRET, sign } from "../src/transport/Jwt.js"

const text = process.argv.slice(2).join(" ") || "what is 17 * 23"
const url = process.env["URL"] ?? `ws://localhost:${process.env["PORT"] ?? 8080}/ws`
const token = process.env["TOKEN"] ??
  sign(
    { sub: process.env["USER_ID"] ?? "alice", exp: Math.floor(Date.now() / 1000) + 3600 },
    process.env["JWT_SECRET"] || DEVELOPMENT_SECRET
  )

const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } })
let runId: string | undefined
// a fresh id per run: the same id again would be answered as a duplicate (PROTOCOL §5)
const chatId = `chat-${Date.now()}`
ws.on("open", () => ws.send(JSON.stringify({ type: "user_message", id: chatId, payload: { text } })))
ws.on("message", (data) => {
  console.log(data.toString())
  const frame = JSON.parse(data.toString()) as { type: string; id?: string; run_id?: string; payload: { result?: { run_id?: string } } }
  if (frame.type === "ack" && frame.id === chatId) runId = frame.payload.result?.run_id
  if (frame.type === "agent_completed" && frame.run_id === runId) ws.close(1000)
})
ws.on("unexpected-response", (_request, response) => {
  console.error(`upgrade refused: HTTP ${response.statusCode}`)
  process.exit(1)
})
ws.on("error", (error) => {
  console.error(`cannot connect to ${url}: ${error.message}`)
  process.exit(1)
})
