import { randomUUID } from "node:crypto"
import { WebSocket } from "ws"
import { type EmulatedEvent, emulatedRun, playRun } from "./baseline-run.js"
import { relayRun } from "./model-relay.js"

/**
 * The baseline's per-frame work: the minimum any server speaking the
 * protocol must do — parse the JSON, look at `type`, reply (ack / pong /
 * error), keep a per-user seq and send stream events to every connection of
 * the user. No schemas, dedupe, history or routing.
 */

export interface BaselineSettings {
  readonly eventsPerRun: number
  readonly stepMs: number
  readonly heartbeatMs: number
  /** the `stream` scenario: runs relay this model server's answer (model-relay.ts) instead of the emulated run */
  readonly modelUrl: string | undefined
}

interface UserState {
  seq: number
  /** PROTOCOL §6: a user made anew starts a new epoch */
  readonly epoch: string
  readonly connections: Set<BaselineConnection>
}

export interface BaselineConnection {
  readonly ws: WebSocket
  readonly connectionId: string
  readonly userId: string
}

const users = new Map<string, UserState>()

const frame = (type: string, payload: object, extra: object = {}): string =>
  JSON.stringify({ type, ...extra, payload, ts: new Date().toISOString() })

const send = (conn: BaselineConnection, text: string): void => {
  if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(text)
}

const errorFrame = (code: string, message: string, id: string | undefined): string =>
  frame("error", { code, message }, id === undefined ? {} : { id })

const ack = (id: string | undefined, result: object): string =>
  frame("ack", { status: "ok", result }, id === undefined ? {} : { id })

/** Registers an authenticated connection and greets it. */
export const openConnection = (ws: WebSocket, userId: string, settings: BaselineSettings): BaselineConnection => {
  const conn: BaselineConnection = { ws, connectionId: `c-${randomUUID()}`, userId }
  let user = users.get(userId)
  if (user === undefined) {
    user = { seq: 0, epoch: randomUUID(), connections: new Set() }
    users.set(userId, user)
  }
  user.connections.add(conn)
  send(conn, frame("connection_established", {
    connection_id: conn.connectionId,
    user_id: userId,
    last_seq: user.seq,
    epoch: user.epoch,
    heartbeat_ms: settings.heartbeatMs,
    server: { version: "baseline", node_id: "baseline" }
  }))
  return conn
}

export const closeConnection = (conn: BaselineConnection): void => {
  const user = users.get(conn.userId)
  if (user === undefined) return
  user.connections.delete(conn)
  if (user.connections.size === 0) users.delete(conn.userId)
}

const startRun = (conn: BaselineConnection, runId: string, question: string, settings: BaselineSettings): void => {
  const user = users.get(conn.userId)
  const emit = (event: EmulatedEvent): void => {
    if (user === undefined) return
    user.seq += 1
    const text = frame(event.type, event.payload, { seq: user.seq, run_id: runId })
    for (const target of user.connections) send(target, text)
  }
  if (settings.modelUrl !== undefined) relayRun(settings.modelUrl, runId, question, emit)
  else playRun(emulatedRun(runId, settings.eventsPerRun), settings.stepMs, emit)
}

const textOf = (message: object): string => {
  const payload: unknown = Reflect.get(message, "payload")
  const text: unknown = typeof payload === "object" && payload !== null ? Reflect.get(payload, "text") : undefined
  return typeof text === "string" ? text : ""
}

/** Handles one text frame of `conn`. */
export const handleText = (conn: BaselineConnection, text: string, settings: BaselineSettings): void => {
  let message: unknown
  try {
    message = JSON.parse(text)
  } catch {
    return send(conn, errorFrame("INVALID_JSON", "not JSON", undefined))
  }
  if (typeof message !== "object" || message === null || Array.isArray(message)) {
    return send(conn, errorFrame("INVALID_MESSAGE", "not an object", undefined))
  }
  const type: unknown = Reflect.get(message, "type")
  const rawId: unknown = Reflect.get(message, "id")
  const id = typeof rawId === "string" ? rawId : undefined
  switch (type) {
    case "ping":
      return send(conn, frame("pong", {}, id === undefined ? {} : { id }))
    case "typing": {
      if (id !== undefined) send(conn, ack(id, {}))
      const payload: unknown = Reflect.get(message, "payload")
      const isTyping = typeof payload === "object" && payload !== null && Reflect.get(payload, "is_typing") === true
      const others = users.get(conn.userId)?.connections ?? new Set<BaselineConnection>()
      if (others.size > 1) {
        const note = frame("typing", { is_typing: isTyping, connection_id: conn.connectionId })
        for (const other of others) if (other !== conn) send(other, note)
      }
      return
    }
    case "user_message":
    case "start_agent":
    case "agent_request": {
      const runId = `r-${randomUUID()}`
      send(conn, ack(id, { run_id: runId }))
      startRun(conn, runId, textOf(message), settings)
      return
    }
    default:
      if (typeof type !== "string") return send(conn, errorFrame("INVALID_MESSAGE", "type must be a string", id))
      if (id !== undefined) send(conn, ack(id, {}))
  }
}

/** Answers a binary frame. */
export const handleBinary = (conn: BaselineConnection): void =>
  send(conn, errorFrame("INVALID_FRAME", "binary frames are not supported", undefined))
