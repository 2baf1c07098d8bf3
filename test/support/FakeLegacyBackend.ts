import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"

/** One request the legacy backend received (PROTOCOL §8's body). */
export interface LegacyCall {
  readonly user_id: string
  readonly type: string
  readonly id: string | null
  readonly payload: Record<string, unknown>
}

/** How the backend answers one call: a status and a JSON body, or no answer at all. */
export type LegacyReply =
  | { readonly status?: number; readonly body?: unknown }
  | { readonly hang: true }

/** A fake legacy HTTP backend on a free port, answering as `respond` says. */
export interface FakeLegacyBackend {
  readonly url: string
  readonly calls: Array<LegacyCall>
  /** the `Idempotency-Key` header of each call (`undefined`: none), parallel to `calls` */
  readonly idempotencyKeys: Array<string | undefined>
  /** replaces how the backend answers */
  respond: (call: LegacyCall) => LegacyReply
  /** calls of one type */
  readonly callsOf: (type: string) => Array<LegacyCall>
  readonly close: () => Promise<void>
}

/**
 * What a plain legacy backend answers: `user_message` / `start_agent` /
 * `agent_request` start a "run" whose events come back with the answer;
 * every other type echoes `{served_by: "legacy", type, payload}`.
 */
export const defaultReply = (call: LegacyCall, n: number): LegacyReply => {
  if (call.type === "user_message" || call.type === "start_agent" || call.type === "agent_request") {
    const runId = `legacy-run-${n}`
    const text = `legacy says: ${String(call.payload["text"] ?? "")}`
    return {
      status: 200,
      body: {
        result: { run_id: runId },
        events: [
          { type: "agent_started", payload: { run_id: runId, agent: "legacy" } },
          { type: "agent_thinking", payload: { run_id: runId, text: "thinking the old way" } },
          { type: "agent_message_delta", payload: { run_id: runId, text } },
          { type: "agent_completed", payload: { run_id: runId, status: "completed", response: { text } } }
        ]
      }
    }
  }
  return { status: 200, body: { result: { served_by: "legacy", type: call.type, payload: call.payload } } }
}

/** Starts the fake backend on 127.0.0.1 and a free port. */
export const startFakeLegacyBackend = async (): Promise<FakeLegacyBackend> => {
  const calls: Array<LegacyCall> = []
  const idempotencyKeys: Array<string | undefined> = []
  const hanging = new Set<() => void>()
  const backend: { respond: (call: LegacyCall) => LegacyReply } = {
    respond: (call) => defaultReply(call, calls.length)
  }
  const server: Server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const call = JSON.parse(Buffer.concat(chunks).toString("utf8")) as LegacyCall
      calls.push(call)
      const key = req.headers["idempotency-key"]
      idempotencyKeys.push(typeof key === "string" ? key : undefined)
      const reply = backend.respond(call)
      if ("hang" in reply) {
        const end = () => res.destroy()
        hanging.add(end)
        res.on("close", () => hanging.delete(end))
        return
      }
      res.writeHead(reply.status ?? 200, { "content-type": "application/json" })
      res.end(reply.body === undefined ? "" : JSON.stringify(reply.body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/legacy`,
    calls,
    idempotencyKeys,
    get respond() {
      return backend.respond
    },
    set respond(f) {
      backend.respond = f
    },
    callsOf: (type) => calls.filter((call) => call.type === type),
    close: () =>
      new Promise<void>((resolve) => {
        for (const end of hanging) end()
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
