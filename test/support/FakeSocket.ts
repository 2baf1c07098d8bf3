import type { WebSocket } from "ws"

/**
 * Stands in for a `ws` socket in unit tests of `Connection`: it records what
 * is sent, and lets a test set how much is "buffered" (a client not reading).
 */
export class FakeSocket {
  readonly sent: Array<string> = []
  readyState = 1
  bufferedAmount = 0
  closedWith: { code: number; reason: string | undefined } | undefined = undefined
  pings = 0
  /** hold back send callbacks, like a socket whose peer stopped reading */
  stalled = false
  private readonly pending: Array<() => void> = []

  readonly CLOSED = 3

  send(data: string, cb?: () => void): void {
    this.sent.push(data)
    if (cb === undefined) return
    if (this.stalled) this.pending.push(cb)
    else cb()
  }

  /** The peer reads again: every held-back send completes. */
  drain(): void {
    this.stalled = false
    for (const cb of this.pending.splice(0)) cb()
  }

  close(code: number, reason?: string): void {
    this.closedWith = { code, reason }
    this.readyState = 2
  }

  terminate(): void {
    this.readyState = 3
  }

  ping(): void {
    this.pings++
  }

  /** The frames sent, parsed. */
  get frames(): Array<{ type: string; seq?: number; [key: string]: unknown }> {
    return this.sent.map((text) => JSON.parse(text))
  }

  asWebSocket(): WebSocket {
    return this as unknown as WebSocket
  }
}
