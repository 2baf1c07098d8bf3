import { Parser } from "@asyncapi/parser"
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import * as AsyncApi from "../../src/protocol/AsyncApi.js"
import { ClientRequests } from "../../src/protocol/ClientRequests.js"
import { ServerEvents } from "../../src/protocol/ServerEvent.js"

type JsonObject = { readonly [key: string]: unknown }

const committed = readFileSync(new URL("../../docs/asyncapi.json", import.meta.url), "utf8")
const doc = AsyncApi.document() as JsonObject

/** Every `$ref` in `value`, depth first. */
const refsOf = (value: unknown, out: Array<string> = []): Array<string> => {
  if (Array.isArray(value)) for (const item of value) refsOf(item, out)
  else if (typeof value === "object" && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      if (key === "$ref" && typeof child === "string") out.push(child)
      else refsOf(child, out)
    }
  }
  return out
}

/** What a local `$ref` (`#/a/b`) points at in the document, or undefined. */
const resolve = (ref: string): unknown =>
  ref.slice(2).split("/").map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~")).reduce<unknown>(
    (node, key) => (typeof node === "object" && node !== null ? (node as JsonObject)[key] : undefined),
    doc
  )

const messages = (doc["components"] as JsonObject)["messages"] as Record<string, { readonly payload: JsonObject }>
const operations = doc["operations"] as Record<string, JsonObject>

describe("docs/asyncapi.json (the wire contract, generated from src/protocol)", () => {
  it("is what `npm run asyncapi` writes now: regenerate it after changing a schema", () => {
    expect(committed).toBe(AsyncApi.text())
  })

  it("is a valid AsyncAPI 3 document (@asyncapi/parser: no error-level diagnostics)", async () => {
    const diagnostics = await new Parser().validate(committed)
    // spectral's severities: 0 error, 1 warning, 2 information, 3 hint
    const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 0)
    expect(errors.map((error) => `${error.path.join(".")}: ${error.message}`)).toEqual([])
    expect(doc["asyncapi"]).toBe("3.0.0")
  }, 60_000)

  it("is self-contained: every $ref points inside it, at something", () => {
    const refs = refsOf(doc)
    expect(refs.length).toBeGreaterThan(0)
    for (const ref of refs) {
      expect(ref.startsWith("#/"), ref).toBe(true)
      expect(resolve(ref), ref).toBeDefined()
    }
  })

  it("describes each message as its whole frame, `type` a const", () => {
    for (const type of Object.keys(ServerEvents)) {
      const payload = messages[`server.${type}`]!.payload
      expect((payload["properties"] as JsonObject)["type"]).toMatchObject({ const: type })
      expect(payload["required"]).toEqual(expect.arrayContaining(["type", "payload", "ts"]))
    }
    for (const type of Object.keys(ClientRequests)) {
      const payload = messages[`client.${type}`]!.payload
      expect((payload["properties"] as JsonObject)["type"]).toMatchObject({ const: type })
    }
    const thinking = messages["server.agent_thinking"]!.payload
    expect(thinking["required"]).toEqual(["type", "seq", "run_id", "payload", "ts"])
  })

  it("sends every server frame and receives every client frame, replying with its ack (or pong) or an error", () => {
    for (const type of Object.keys(ServerEvents)) {
      expect(operations[`send_${type}`]).toMatchObject({ action: "send", messages: [{ $ref: `#/channels/ws/messages/server.${type}` }] })
    }
    for (const [type, request] of Object.entries(ClientRequests)) {
      const success = request.reply === "ack" ? `server.ack.${type}` : "server.pong"
      expect(operations[`receive_${type}`]).toMatchObject({
        action: "receive",
        messages: [{ $ref: `#/channels/ws/messages/client.${type}` }],
        reply: { messages: [{ $ref: `#/channels/ws/messages/${success}` }, { $ref: "#/channels/ws/messages/server.error" }] }
      })
    }
  })

  it("lists the codes every frame with an id may get on every request, and the migration codes apart", () => {
    for (const type of Object.keys(ClientRequests)) {
      const operation = operations[`receive_${type}`] as JsonObject
      expect(operation["x-error-codes"]).toEqual(expect.arrayContaining(["INVALID_MESSAGE", "RATE_LIMITED", "UNAVAILABLE", "INTERNAL"]))
      expect(operation["x-migration-error-codes"]).toEqual(["HANDLER_FAILED", "TIMEOUT"])
      expect(String(operation["description"])).toContain("LEGACY_TYPES")
    }
    const codes = (operations["receive_user_message"] as JsonObject)["x-error-codes"] as ReadonlyArray<string>
    expect(codes.filter((code) => code === "RATE_LIMITED")).toHaveLength(1)
  })

  it("gives every built-in server frame a summary (its schema's description)", () => {
    for (const type of Object.keys(ServerEvents)) expect(String((messages[`server.${type}`] as unknown as JsonObject)["summary"])).not.toEqual("")
  })
})
