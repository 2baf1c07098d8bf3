import { JSONSchema, Option, Schema, SchemaAST } from "effect"
import { MessageId } from "./ClientFrame.js"
import { type AnyClientRequest, ClientRequests, COMMON_ERRORS, MIGRATION_ERRORS } from "./ClientRequests.js"
import { ExtensionEventFrame } from "./ExtensionEvent.js"
import { ackFrameOf } from "./Replies.js"
import { ServerEvents, type ServerEventType } from "./ServerEvent.js"

/**
 * The wire contract as an AsyncAPI 3 document, generated from the protocol's
 * own schemas (`ServerEvents`, `ClientRequests`) with effect's `JSONSchema`:
 * what `npm run asyncapi` writes to `docs/asyncapi.json` and `GET
 * /asyncapi.json` serves.
 *
 * As AsyncAPI defines them, the operations are the service's: it `send`s
 * every server frame and `receive`s every client frame, whose `reply` is the
 * request's `ack` (or `pong`) or an `error`. A message's payload is the whole
 * frame as it is on the wire, its `type` a `const`. The document is
 * self-contained: every `$ref` points inside it (schemas are inline).
 *
 * Server frames are described strictly (no field beyond those named: the
 * contract tests hold the service to it); client frames allow more (the
 * service ignores fields it does not know, PROTOCOL §3).
 */

/**
 * The version of the wire contract (docs/protocol.md), the document's
 * `info.version`: it changes when the frames do, whatever the service's own
 * version (`SERVER_VERSION`, which `connection_established` reports).
 */
export const PROTOCOL_VERSION = "1.1.0"

/** A JSON value of the document. */
export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

// a built-in frame's summary is its schema's description (`BuiltinFrames`)
const summaryOf = (schema: Schema.Schema.AnyNoContext): string =>
  Option.getOrElse(SchemaAST.getDescriptionAnnotation(schema.ast), () => "")

/**
 * A schema as JSON Schema, inline: no protocol schema carries an identifier,
 * so effect makes no `$ref`s (one that did would fail here rather than point
 * at a definition the document does not hold).
 */
const jsonSchema = (schema: Schema.Schema.AnyNoContext, strict: boolean): Json => {
  const definitions: Record<string, JSONSchema.JsonSchema7> = {}
  const json = JSONSchema.fromAST(schema.ast, {
    definitions,
    additionalPropertiesStrategy: strict ? "strict" : "allow"
  })
  const named = Object.keys(definitions)
  if (named.length > 0) throw new Error(`AsyncApi: inline the schemas with an identifier (${named.join(", ")})`)
  return tidy(json as unknown as Json)
}

/**
 * effect's JSON Schema, made to read as AsyncAPI's: a one-value `enum` is a
 * `const`, and the `$id`s effect gives its `unknown` / `object` keywords go
 * (an `$id` would set a base URI for the schema below it), with the titles
 * effect gives its built-in filters.
 */
const tidy = (value: Json): Json => {
  if (Array.isArray(value)) return value.map(tidy)
  if (value === null || typeof value !== "object") return value
  const object = value as { readonly [key: string]: Json }
  const out: Record<string, Json> = {}
  for (const [key, child] of Object.entries(object)) {
    // effect's own `$id`s and titles ("positive", "maxLength(128)"): the descriptions say it better
    if (key === "$id" || key === "title") continue
    if (key === "enum" && Array.isArray(child) && child.length === 1) {
      out["const"] = child[0]!
      continue
    }
    out[key] = tidy(child)
  }
  return out
}

const ref = (path: string): Json => ({ $ref: path })

/** A client frame of `type`: `{type, id?, payload}`, the payload optional when `{}` is a valid one. */
const clientFrame = (type: string, request: AnyClientRequest) => {
  const emptyIsValid = Schema.is(request.payload)({})
  return Schema.Struct({
    type: Schema.Literal(type),
    id: Schema.optional(MessageId),
    payload: emptyIsValid ? Schema.optional(request.payload) : request.payload
  })
}

const message = (name: string, title: string, summary: string, payload: Json): Json => ({
  name,
  title,
  summary,
  contentType: "application/json",
  payload
})

const serverKey = (type: string) => `server.${type}`
const ackKey = (type: string) => `server.ack.${type}`
const clientKey = (type: string) => `client.${type}`
const channelMessage = (key: string) => ref(`#/channels/ws/messages/${key}`)

/** Builds the document (pure: the same schemas give the same document, key for key). */
export const document = (): Json => {
  const messages: Record<string, Json> = {}
  const operations: Record<string, Json> = {}

  for (const type of Object.keys(ServerEvents) as Array<ServerEventType>) {
    messages[serverKey(type)] = message(type, type, summaryOf(ServerEvents[type]), jsonSchema(ServerEvents[type], true))
  }
  messages[serverKey("extension")] = message(
    "extension",
    "extension event",
    "An event of the user's stream of a type the protocol does not define: a legacy backend's (PROTOCOL §8) or an embedder's own.",
    jsonSchema(ExtensionEventFrame, true)
  )
  for (const [type, request] of Object.entries(ClientRequests) as Array<[string, AnyClientRequest]>) {
    if (request.reply === "ack") {
      messages[ackKey(type)] = message("ack", `ack of ${type}`, `The ack of \`${type}\`.`, jsonSchema(ackFrameOf(request.success), true))
    }
    messages[clientKey(type)] = message(type, type, request.description, jsonSchema(clientFrame(type, request), false))
  }

  for (const type of [...Object.keys(ServerEvents), "extension"]) {
    operations[`send_${type}`] = {
      action: "send",
      channel: ref("#/channels/ws"),
      summary: type === "extension" ? "Sends an extension event on the user's stream." : `Sends \`${type}\`.`,
      messages: [channelMessage(serverKey(type))]
    }
  }
  for (const [type, request] of Object.entries(ClientRequests) as Array<[string, AnyClientRequest]>) {
    const success = request.reply === "ack" ? ackKey(type) : serverKey("pong")
    const errors = [...request.errors, ...COMMON_ERRORS.filter((code) => !request.errors.includes(code))]
    operations[`receive_${type}`] = {
      action: "receive",
      channel: ref("#/channels/ws"),
      summary: request.description,
      description: `Answered ${request.reply === "ack" ? "with an `ack` (when the frame has an `id`)" : "with a `pong`"} or an \`error\` (codes: ${
        errors.join(", ")
      }). Served through a migration (its type in \`LEGACY_TYPES\`), it may also get ${MIGRATION_ERRORS.join(", ")}.`,
      messages: [channelMessage(clientKey(type))],
      reply: {
        channel: ref("#/channels/ws"),
        messages: [channelMessage(success), channelMessage(serverKey("error"))]
      },
      "x-error-codes": errors,
      "x-migration-error-codes": MIGRATION_ERRORS
    }
  }

  const channelMessages: Record<string, Json> = {}
  for (const key of Object.keys(messages)) channelMessages[key] = ref(`#/components/messages/${key}`)

  return {
    asyncapi: "3.0.0",
    info: {
      title: "Switchyard",
      version: PROTOCOL_VERSION,
      description: "A typed WebSocket message router for real-time AI agent backends. Clients send JSON frames " +
        "`{type, id?, payload}` over one WebSocket; each is answered by an `ack` or an `error` (a `pong` for `ping`), " +
        "and agent runs stream their events on the user's stream, each with the user's next `seq`. " +
        "Generated from the service's own schemas (src/protocol/)."
    },
    defaultContentType: "application/json",
    servers: {
      local: {
        host: "localhost:8080",
        protocol: "ws",
        description: "The service as `npm start` runs it (`PORT`, default 8080).",
        security: [ref("#/components/securitySchemes/bearer"), ref("#/components/securitySchemes/accessToken")]
      }
    },
    channels: {
      ws: {
        address: "/ws",
        title: "The user's WebSocket",
        description: "Text frames, one JSON object each. A connection belongs to the user of its token; a user's " +
          "connections share one stream. Close codes: 1000 normal, 1001 going away, 1007 invalid UTF-8, " +
          "1009 frame too big, 1012 service restart, 1013 slow consumer, 4000 heartbeat timeout, 4001 token expired.",
        messages: channelMessages,
        bindings: {
          ws: {
            method: "GET",
            query: {
              type: "object",
              properties: { access_token: { type: "string", description: "The JWT, for browsers (which cannot set headers)." } }
            },
            headers: {
              type: "object",
              properties: { Authorization: { type: "string", description: "`Bearer <jwt>`" } }
            },
            bindingVersion: "0.1.0"
          }
        }
      }
    },
    operations,
    components: {
      messages,
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "HS256; the user is `sub`; `exp` required."
        },
        accessToken: {
          type: "httpApiKey",
          name: "access_token",
          in: "query",
          description: "The same JWT in the query string."
        }
      }
    }
  }
}

/** The document as the committed file holds it: two-space JSON and a final newline. */
export const text = (): string => JSON.stringify(document(), null, 2) + "\n"
