import { Schema } from "effect"
import { ServerEvents, type ServerEventType } from "./BuiltinFrames.js"
import { ExtensionEventFrame } from "./ExtensionEvent.js"

export { ServerEvents, type ServerEventType }

// the built-in frames' schemas, as the union's members
const builtins = Object.values(ServerEvents) as Array<typeof ServerEvents[ServerEventType]>

/**
 * Any frame the service sends: decode every incoming frame with this. A
 * built-in type is held to its own schema; any other type is an extension
 * event of the user's stream (a legacy backend's, or an embedder's).
 *
 * ```ts
 * const frame = Schema.decodeUnknownSync(ServerEvent)(JSON.parse(text))
 * if (frame.type === "agent_message_delta") process.stdout.write(frame.payload.text)
 * ```
 */
export const ServerEvent = Schema.Union(...builtins, ExtensionEventFrame).annotations({ identifier: "ServerEvent", description: "a frame the service sends" })

/** @see ServerEvent */
export type ServerEvent = typeof ServerEvent.Type

/** The frame of a built-in `type`. */
export type ServerEventOf<T extends ServerEventType> = typeof ServerEvents[T]["Type"]

/** Decodes one parsed JSON value as a server frame. */
export const decodeServerEvent = Schema.decodeUnknownEither(ServerEvent)
