import { Schema } from "effect"
import { BUILTIN_SERVER_TYPES, ServerEvents, type ServerEventType } from "./BuiltinFrames.js"
import { ExtensionEventFrame } from "./ExtensionEvent.js"

export { ServerEvents, type ServerEventType }

// the built-in frames' schemas, as the union's members
const builtins = Object.values(ServerEvents) as Array<typeof ServerEvents[ServerEventType]>

/**
 * Every frame of a built-in type, without the extension events: a closed
 * union that `switch (frame.type)` narrows. (In {@link ServerEvent} the
 * extension events' branded `string` type could be any literal, so TypeScript
 * cannot narrow that union on `type`; guard with {@link isBuiltinServerEvent} first.)
 */
export const BuiltinServerEvent = Schema.Union(...builtins)

/** @see BuiltinServerEvent */
export type BuiltinServerEvent = typeof BuiltinServerEvent.Type

/**
 * Any frame the service sends: decode every incoming frame with this. A
 * built-in type is held to its own schema; any other type is an extension
 * event of the user's stream (a legacy backend's, or an embedder's).
 *
 * ```ts
 * const frame = Schema.decodeUnknownSync(ServerEvent)(JSON.parse(text))
 * if (isBuiltinServerEvent(frame) && frame.type === "agent_message_delta") process.stdout.write(frame.payload.text)
 * ```
 */
export const ServerEvent = Schema.Union(...builtins, ExtensionEventFrame)
  .annotations({ identifier: "ServerEvent", description: "a frame the service sends" })

/** @see ServerEvent */
export type ServerEvent = typeof ServerEvent.Type

const builtinTypes: ReadonlySet<string> = new Set(BUILTIN_SERVER_TYPES)

/** Is this decoded frame of a built-in type (so that a `switch` on its `type` narrows it)? */
export const isBuiltinServerEvent = (frame: ServerEvent): frame is BuiltinServerEvent => builtinTypes.has(frame.type)

/** The frame of a built-in `type`. */
export type ServerEventOf<T extends ServerEventType> = typeof ServerEvents[T]["Type"]

/** Decodes one parsed JSON value as a server frame. */
export const decodeServerEvent = Schema.decodeUnknownEither(ServerEvent)
