import { Data } from "effect"
import type { Disconnect } from "./Disconnect.js"

/**
 * The client has stopped for good: the server refused it (401, 403), the
 * reconnect schedule gave up, or its scope closed. Requests and the event
 * stream fail with it; `disconnect` says why (its reason, never a URL or a token).
 */
export class ClientStopped extends Data.TaggedError("ClientStopped")<{
  readonly disconnect: Disconnect | undefined
}> {
  override get message(): string {
    return this.disconnect === undefined
      ? "the client was closed"
      : `the client stopped: ${this.disconnect.reason}${this.disconnect.code === undefined ? "" : ` (${this.disconnect.code})`}`
  }
}

/** A request got no answer before its deadline, although it was resent after each reconnect. */
export class RequestTimeout extends Data.TaggedError("RequestTimeout")<{
  readonly type: string
  readonly id: string
}> {
  override get message(): string {
    return `no answer to ${this.type} (id ${this.id}) before its deadline`
  }
}
