/**
 * `switchyard/client`: an Effect client of the Switchyard protocol, on
 * `@effect/platform`'s `Socket` — typed requests resent across reconnects,
 * the user's stream exactly once and in order, reconnects on a `Schedule`.
 * It imports nothing of the server (only `protocol/`), so it bundles for a browser.
 */
export {
  type Client,
  type ClientEvent,
  defaultReconnect,
  layer,
  make,
  type RequestError,
  SwitchyardClient
} from "./Client.js"
export { ClientStopped, RequestTimeout } from "./ClientError.js"
export type { ClientLimits } from "./ClientLimits.js"
export type { ClientOptions } from "./ClientOptions.js"
export { ConnectionState } from "./ConnectionState.js"
export { type Disconnect, type DisconnectReason, type Reaction, reaction } from "./Disconnect.js"
export type { ExtensionStreamEvent, StreamEvent } from "./Inbound.js"
export { type RequestPayload, type RequestResult, Requests, type RequestType } from "./Requests.js"
export { isStreamGap, type StreamGap, type StreamPosition } from "./StreamCursor.js"
export { FrameError } from "../protocol/FrameError.js"
export { ErrorCode } from "../protocol/ErrorCode.js"
