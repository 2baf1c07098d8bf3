import WebSocket from "ws"

/** A frame the server sent, as parsed JSON. */
export interface Frame {
  readonly type: string
  readonly id?: string
  readonly seq?: number
  readonly run_id?: string
  readonly payload: Record<string, any>
  readonly ts: string
}

/**
 * A real WebSocket client for end-to-end tests: it records every frame the
 * server sends, and lets a test wait for the frame it expects.
 */
export class TestClient {
  readonly frames: Array<Frame> = []
  readonly closed: Promise<{ readonly code: number; readonly reason: string }>
  private waiters: Array<{ readonly match: (frame: Frame) => boolean; readonly resolve: (frame: Frame) => void }> = []

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const frame = JSON.parse(data.toString()) as Frame
      this.frames.push(frame)
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.match(frame)) return true
        waiter.resolve(frame)
        return false
      })
    })
    this.closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })))
  }

  /** Connects and waits for `connection_established`. */
  static async connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(url, options)
    const client = new TestClient(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve())
      ws.once("error", reject)
      ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    })
    await client.next((frame) => frame.type === "connection_established")
    return client
  }

  /** The greeting. */
  get greeting(): Frame {
    return this.frames.find((frame) => frame.type === "connection_established")!
  }

  /** Sends one JSON frame (or raw text). */
  send(frame: object | string): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame))
  }

  /** The first recorded or future frame matching `match`. */
  next(match: (frame: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const seen = this.frames.find(match)
    if (seen !== undefined) return Promise.resolve(seen)
    return this.wait(match, timeoutMs)
  }

  /** The next frame matching `match` that arrives from now on. */
  wait(match: (frame: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for a frame; got ${JSON.stringify(this.frames.slice(-5))}`)), timeoutMs)
      this.waiters.push({ match, resolve: (frame) => (clearTimeout(timer), resolve(frame)) })
    })
  }

  /** The reply (ack or error) to the frame with this id. */
  reply(id: string, timeoutMs?: number): Promise<Frame> {
    return this.next((frame) => frame.id === id && (frame.type === "ack" || frame.type === "error" || frame.type === "pong"), timeoutMs)
  }

  /** Sends a frame with an id and waits for its reply. */
  async request(type: string, id: string, payload?: object): Promise<Frame> {
    this.send(payload === undefined ? { type, id } : { type, id, payload })
    return this.reply(id)
  }

  /** Every recorded event of one run, in arrival order. */
  runEvents(runId: string): Array<Frame> {
    return this.frames.filter((frame) => frame.run_id === runId)
  }

  /** Waits until the run's `agent_completed` has arrived. */
  completed(runId: string, timeoutMs = 10_000): Promise<Frame> {
    return this.next((frame) => frame.run_id === runId && frame.type === "agent_completed", timeoutMs)
  }

  close(code = 1000): Promise<{ readonly code: number; readonly reason: string }> {
    this.ws.close(code)
    return this.closed
  }
}
