import WebSocket from "ws"
import { parseServerFrame, type ServerFrame } from "./frames.js"
import * as Jwt from "../../src/transport/Jwt.js"

/**
 * What a scenario driving agent runs needs of a connection, whatever speaks
 * underneath (this protocol over `ws`, or Socket.IO in the cluster baseline).
 */
export interface StreamClient {
  readonly userId: string
  onFrame: (frame: ServerFrame) => void
  onUnexpectedClose: (code: number) => void
  send(frame: { readonly type: string; readonly id?: string; readonly payload?: object }): void
  close(): void
}

/**
 * One authenticated bench connection: opened with a fresh token for `userId`,
 * ready once the server's `connection_established` arrived. Frames after that
 * go to `onFrame`; a close the bench did not ask for goes to `onUnexpectedClose`.
 */
export class BenchClient implements StreamClient {
  onFrame: (frame: ServerFrame) => void = () => {}
  onUnexpectedClose: (code: number) => void = () => {}
  private closing = false

  constructor(readonly ws: WebSocket, readonly userId: string) {}

  send(frame: object): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame))
  }

  close(): void {
    this.closing = true
    this.ws.terminate()
  }

  /** @internal wiring done by connectClient */
  handleClose(code: number): void {
    if (!this.closing) this.onUnexpectedClose(code)
  }
}

/** A token for `userId`, valid for an hour, signed as every client of the service signs it. */
const signToken = (userId: string, secret: string): string => {
  const now = Math.floor(Date.now() / 1000)
  return Jwt.sign({ sub: userId, iat: now, exp: now + 3600 }, secret)
}

/** Opens a connection for `userId`; rejects on refusal, error, close or timeout before the greeting. */
export const connectClient = (wsUrl: string, userId: string, secret: string, timeoutMs = 30_000) =>
  new Promise<BenchClient>((resolve, reject) => {
    const url = `${wsUrl}?access_token=${encodeURIComponent(signToken(userId, secret))}`
    const ws = new WebSocket(url, { perMessageDeflate: false })
    const client = new BenchClient(ws, userId)
    let ready = false
    const fail = (reason: string): void => {
      if (ready) return
      ready = true
      clearTimeout(timer)
      ws.terminate()
      reject(new Error(reason))
    }
    const timer = setTimeout(() => fail("timeout before connection_established"), timeoutMs)
    ws.on("unexpected-response", (_req, res) => fail(`upgrade refused: HTTP ${res.statusCode ?? "?"}`))
    ws.on("error", (err) => fail(err.message))
    ws.on("close", (code) => (ready ? client.handleClose(code) : fail(`closed before greeting: ${code}`)))
    ws.on("message", (data, isBinary) => {
      if (isBinary) return
      const frame = parseServerFrame(data.toString())
      if (frame === undefined) return
      if (ready) return client.onFrame(frame)
      if (frame.type === "connection_established") {
        ready = true
        clearTimeout(timer)
        resolve(client)
      }
    })
  })

/** The outcome of connecting many clients. */
export interface ConnectOutcome {
  readonly clients: ReadonlyArray<BenchClient>
  readonly failures: number
  readonly firstError: string | undefined
}

/** Connects one client per user id, `batchSize` handshakes at a time (a burst of 10,000 overflows accept queues). */
export const connectMany = async (
  wsUrl: string,
  userIds: ReadonlyArray<string>,
  secret: string,
  batchSize: number
): Promise<ConnectOutcome> => {
  const clients: Array<BenchClient> = []
  let failures = 0
  let firstError: string | undefined
  for (let start = 0; start < userIds.length; start += batchSize) {
    const batch = userIds.slice(start, start + batchSize)
    const settled = await Promise.allSettled(batch.map((user) => connectClient(wsUrl, user, secret)))
    for (const outcome of settled) {
      if (outcome.status === "fulfilled") clients.push(outcome.value)
      else {
        failures += 1
        firstError ??= outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason)
      }
    }
  }
  return { clients, failures, firstError }
}
