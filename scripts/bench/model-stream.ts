/**
 * The `stream` scenario's wire between the fake model server and whoever
 * reads it: what a streamed delta's text carries (its place in the answer and
 * the moment the fake wrote it), the SSE chunks the fake writes, and the
 * small SSE reader the baselines relay with. Pure: no sockets here.
 */

/**
 * Now on the machine's monotonic clock, in µs. `process.hrtime` is
 * CLOCK_MONOTONIC, one clock for every process of the machine: the fake
 * model server's stamp and the load generator's reading compare directly.
 */
export const monotonicMicros = (): number => Number(process.hrtime.bigint() / 1000n)

/** A delta's text: `<index>@<µs written> ` (a token-sized word; the texts concatenated are the answer). */
export const deltaText = (index: number, writtenMicros: number): string => `${index}@${writtenMicros} `

/** The index and write time a delta's text carries; undefined for any other text. */
export const parseDeltaText = (text: string): { readonly index: number; readonly writtenMicros: number } | undefined => {
  const at = text.indexOf("@")
  if (at <= 0 || !text.endsWith(" ")) return undefined
  const index = Number(text.slice(0, at))
  const writtenMicros = Number(text.slice(at + 1, -1))
  return Number.isInteger(index) && index >= 0 && Number.isFinite(writtenMicros) ? { index, writtenMicros } : undefined
}

/** One `data:` event of a Chat Completions stream, shaped as OpenAI sends it. */
export const chunkEvent = (
  id: string,
  created: number,
  model: string,
  delta: Readonly<Record<string, string>>,
  finishReason: string | null
): string =>
  `data: ${JSON.stringify({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    system_fingerprint: "fp_bench",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }]
  })}\n\n`

/** The event that ends an OpenAI stream. */
export const DONE_EVENT = "data: [DONE]\n\n"

/**
 * Splits a server-sent event stream into the `data` of each event, fed in
 * whatever pieces the socket hands over (an event may span pieces). Only
 * what a Chat Completions stream uses: `data:` lines, blank-line separated;
 * other fields and comments are skipped.
 */
export class SseDataReader {
  private buffer = ""

  /** The data of every event completed by `piece`, in order. */
  feed(piece: string): Array<string> {
    this.buffer += piece.includes("\r") ? piece.replace(/\r\n?/g, "\n") : piece
    const out: Array<string> = []
    let end = this.buffer.indexOf("\n\n")
    while (end >= 0) {
      const block = this.buffer.slice(0, end)
      this.buffer = this.buffer.slice(end + 2)
      const data: Array<string> = []
      for (const line of block.split("\n")) {
        if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5))
      }
      if (data.length > 0) out.push(data.join("\n"))
      end = this.buffer.indexOf("\n\n")
    }
    return out
  }
}

/** What one chunk's data says: its text, and whether the answer is over (a finish reason, or `[DONE]`). */
export const readChunk = (data: string): { readonly content: string; readonly finished: boolean } | undefined => {
  if (data.trim() === "[DONE]") return { content: "", finished: true }
  let chunk: unknown
  try {
    chunk = JSON.parse(data)
  } catch {
    return undefined
  }
  const choices: unknown = typeof chunk === "object" && chunk !== null ? Reflect.get(chunk, "choices") : undefined
  const choice: unknown = Array.isArray(choices) ? choices[0] : undefined
  if (typeof choice !== "object" || choice === null) return { content: "", finished: false }
  const delta: unknown = Reflect.get(choice, "delta")
  const content: unknown = typeof delta === "object" && delta !== null ? Reflect.get(delta, "content") : undefined
  const reason: unknown = Reflect.get(choice, "finish_reason")
  return { content: typeof content === "string" ? content : "", finished: typeof reason === "string" && reason.length > 0 }
}
