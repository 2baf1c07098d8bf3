import { expect } from "vitest"

/** One server-sent event, its data parsed as JSON. */
export interface ServerSentEvent {
  readonly event: string
  readonly data: any
}

/** Reads server-sent events from `url` until `until` accepts the ones seen so far (or the timeout). */
export const readEvents = async (
  url: string,
  until: (events: ReadonlyArray<ServerSentEvent>, raw: string) => boolean,
  timeoutMs = 15_000
) => {
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), timeoutMs)
  const response = await fetch(url, { signal: abort.signal })
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/)
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  const events: Array<ServerSentEvent> = []
  let raw = ""
  let buffer = ""
  try {
    while (!until(events, raw)) {
      const { done, value } = await reader.read()
      if (done) break
      const text = decoder.decode(value, { stream: true })
      raw += text
      buffer += text
      let end: number
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const event = /^event: (.*)$/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) })
      }
    }
  } finally {
    clearTimeout(timer)
    abort.abort()
  }
  return { events, raw }
}
