import { Data } from "effect"
import type { Disconnect } from "./Disconnect.js"

/**
 * Where the client's connection is, as a `SubscriptionRef` shows it:
 *
 * - `Connecting`: opening a WebSocket (attempt 1 is the first connect);
 * - `Open`: greeted by the server (`connection_established`) and resuming or live;
 * - `Reconnecting`: the last connection ended for `disconnect`; the next attempt follows;
 * - `Closed`: for good — refused (401/403), out of reconnect attempts, or the client's scope closed.
 */
export type ConnectionState = Data.TaggedEnum<{
  Connecting: { readonly attempt: number }
  Open: {
    readonly connectionId: string
    readonly userId: string
    readonly epoch: string
    readonly heartbeatMs: number
  }
  Reconnecting: { readonly attempt: number; readonly disconnect: Disconnect }
  Closed: { readonly disconnect: Disconnect | undefined }
}>

/** Constructors and matchers of {@link ConnectionState}. */
export const ConnectionState = Data.taggedEnum<ConnectionState>()
