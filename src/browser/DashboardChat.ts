/**
 * The dashboard's chat panel (`dashboard.html`'s "Chat with the agent"), on
 * `switchyard/client`: bundled for the page by `http/DashboardScript.ts` and
 * loaded as `/dashboard/chat.js`. The client reconnects, resumes the stream
 * and resends what is unanswered; this file only draws.
 */
import * as Socket from "@effect/platform/Socket"
import { Data, Effect, Queue, Stream } from "effect"
import * as Client from "../client/index.js"

const $ = <E extends HTMLElement = HTMLElement>(id: string): E => document.getElementById(id) as E

const panel = $("chat-panel")
const tokenInput = $<HTMLInputElement>("chat-token")
const log = $("chat-log")

/** This page's user when the service hands out development tokens. */
const chatUser = `dashboard-${Math.random().toString(16).slice(2, 8)}`

/** Does the service hand this page development tokens? The page's live feed says (its `hello`). */
const devTokens = (): boolean => panel.dataset["devTokens"] === "true"

const pasted = (): string => tokenInput.value.trim()

const element = (tag: string, className: string, text?: string): HTMLElement => {
  const node = document.createElement(tag)
  node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

const scrollDown = (): void => {
  log.scrollTop = log.scrollHeight
}

const line = (className: string, text: string): HTMLElement => {
  const node = log.appendChild(element("div", `msg ${className}`, text))
  scrollDown()
  return node
}

const note = (): void => {
  const text = pasted() !== ""
    ? "the chat uses the token above"
    : devTokens()
    ? `development mode: the chat signs in as ${chatUser} with a development token`
    : "paste a user token to chat"
  const target = $("chat-note")
  if (target.textContent !== text) target.textContent = text
}

class NoToken extends Data.TaggedError("NoToken")<{ readonly message: string }> {}

/**
 * The token, asked at every connect (after a `4001` too): the one pasted, else
 * a fresh development token.
 */
const token: Effect.Effect<string, NoToken> = Effect.suspend(() => {
  if (pasted() !== "") return Effect.succeed(pasted())
  return Effect.tryPromise({
    try: async () => {
      const response = await fetch(`/dev/token?user=${encodeURIComponent(chatUser)}`, { method: "POST" })
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      const body: unknown = await response.json()
      const value = typeof body === "object" && body !== null && "token" in body ? body.token : undefined
      if (typeof value !== "string") throw new Error("no token in the answer")
      return value
    },
    catch: (cause) => new NoToken({ message: `no development token (${String(cause)}): paste a token` })
  })
})

/** One message's bubble: the run's steps, its answer as it streams, its status. */
interface Bubble {
  readonly steps: HTMLElement
  readonly answer: HTMLElement
  readonly status: HTMLElement
}

const bubble = (): Bubble => {
  const node = line("agent", "")
  const steps = node.appendChild(element("div", ""))
  const answer = node.appendChild(element("div", "answer"))
  answer.dataset["testid"] = "chat-answer"
  const status = node.appendChild(element("div", "status", "sending…"))
  return { steps, answer, status }
}

type RunEvent = Extract<Client.ClientEvent, { readonly type: "agent_started" | "agent_thinking" | "tool_executing" | "tool_completed" | "agent_message_delta" | "agent_completed" }>

const draw = (run: Bubble, event: RunEvent): void => {
  switch (event.type) {
    case "agent_started":
      run.status.textContent = "running…"
      break
    case "agent_thinking":
      run.steps.appendChild(element("div", "step", `… ${event.payload.text}`))
      break
    case "tool_executing":
      run.steps.appendChild(element("div", "tool", `⚙ ${event.payload.tool} ${JSON.stringify(event.payload.input)}`))
      break
    case "tool_completed":
      run.steps.appendChild(element("div", "tool", `→ ${JSON.stringify(event.payload.output)}${event.payload.ok ? "" : " (failed)"}`))
      break
    case "agent_message_delta":
      run.answer.textContent += event.payload.text
      break
    case "agent_completed": {
      const done = event.payload
      if (done.status === "completed") {
        // the full answer wins over the deltas (a reload mid-run saw only part of them)
        if (run.answer.textContent !== done.response.text) run.answer.textContent = done.response.text
        run.status.textContent = "completed"
      } else if (done.status === "failed") {
        run.status.textContent = `failed: ${done.error.code} ${done.error.message}`
      } else {
        run.status.textContent = "cancelled"
      }
    }
  }
  scrollDown()
}

/**
 * The bubbles of this page's runs, by run id. A run's first events may come
 * before its request's ack has told the page its id: they wait here (a few,
 * for the runs of the same user's other tabs too, which never claim theirs).
 */
const runs = new Map<string, Bubble>()
const early = new Map<string, Array<RunEvent>>()
const EARLY_RUNS = 50

const onRunEvent = (runId: string, event: RunEvent): void => {
  const run = runs.get(runId)
  if (run !== undefined) return draw(run, event)
  const waiting = early.get(runId) ?? []
  if (waiting.length === 0) {
    early.set(runId, waiting)
    if (early.size > EARLY_RUNS) early.delete(early.keys().next().value!)
  }
  waiting.push(event)
}

const claim = (runId: string, run: Bubble): void => {
  runs.set(runId, run)
  for (const event of early.get(runId) ?? []) draw(run, event)
  early.delete(runId)
}

const onEvent = (event: Client.ClientEvent): void => {
  switch (event.type) {
    case "stream_gap":
      line("system warn", `some events were lost (${event.reason}): the runs above may be incomplete`)
      return
    case "quality_alert":
      line("system warn", `quality alert: ${event.payload.kind === "breach" ? event.payload.reasons.join("; ") : "recovered"}`)
      return
    case "extension_event":
      return
    default:
      if (event.run_id !== undefined) onRunEvent(event.run_id, event)
  }
}

const describe = (disconnect: Client.Disconnect | undefined): string =>
  disconnect === undefined ? "closed" : `${disconnect.reason}${disconnect.code === undefined ? "" : ` ${disconnect.code}`}`

/** The connection's changes, as lines of the log: connected, lost (once per loss), refused. */
const showState = (client: Client.Client) => {
  let previous: Client.ConnectionState["_tag"] | undefined
  return Stream.runForEach(client.state.changes, (state) =>
    Effect.sync(() => {
      if (state._tag === "Open") line("system", `connected as ${state.userId}`)
      else if (state._tag === "Reconnecting" && previous !== "Reconnecting") {
        line("system", `disconnected (${describe(state.disconnect)}): reconnecting…`)
      } else if (state._tag === "Closed") {
        const reason = state.disconnect?.reason
        line(
          "system bad",
          reason === "Unauthorized"
            ? "the server refused the token (HTTP 401): paste a valid one and send again"
            : reason === "Forbidden"
            ? "the server refused this page's origin (HTTP 403)"
            : `disconnected for good (${describe(state.disconnect)})`
        )
      }
      previous = state._tag
    }))
}

const failure = (error: Client.RequestError): string => {
  switch (error._tag) {
    case "FrameError":
      return `error ${error.code}: ${error.message}`
    case "RequestTimeout":
      return "no answer in time: not sent"
    case "ClientStopped":
      return `not sent: ${describe(error.disconnect)}`
  }
}

/** One message: its bubble, its request (resent by the client across reconnects), its run claimed. */
const send = (client: Client.Client, text: string) =>
  Effect.suspend(() => {
    const run = bubble()
    return client.request("user_message", { text }).pipe(
      Effect.match({
        onFailure: (error) => {
          run.status.textContent = failure(error)
          run.status.classList.add("bad")
        },
        onSuccess: ({ run_id }) => {
          if (run.status.textContent === "sending…") run.status.textContent = "running…"
          claim(run_id, run)
        }
      })
    )
  })

/** What the form sends, in order. */
const messages = Effect.runSync(Queue.unbounded<string>())

/**
 * One client, from the first message until it stops for good (a refused
 * token): the stream drawn, each message sent as it comes. The next message
 * after a stop starts a new one (with the token pasted meanwhile).
 */
const session = (first: string) =>
  Effect.gen(function*() {
    const client = yield* Client.make({ url: `${location.origin.replace(/^http/, "ws")}/ws`, token })
    yield* Effect.forkScoped(showState(client))
    const events = yield* client.subscribe
    yield* Effect.forkScoped(Stream.runForEach(events, (event) => Effect.sync(() => onEvent(event))))
    yield* Effect.forkScoped(send(client, first))
    yield* Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.take(messages), (text) => Effect.forkScoped(send(client, text)))))
    yield* client.state.changes.pipe(Stream.takeUntil((state) => state._tag === "Closed"), Stream.runDrain)
  }).pipe(Effect.scoped)

const chat = Effect.gen(function*() {
  for (;;) {
    const first = yield* Queue.take(messages)
    if (pasted() === "" && !devTokens()) {
      line("system bad", "paste a user token to chat")
      continue
    }
    yield* session(first)
  }
})

$("chat-form").addEventListener("submit", (event) => {
  event.preventDefault()
  const input = $<HTMLInputElement>("chat-input")
  const text = input.value.trim()
  if (text === "") return
  input.value = ""
  line("user", text)
  Queue.unsafeOffer(messages, text)
})
tokenInput.addEventListener("input", note)
// the page's live feed tells whether development tokens are offered
panel.addEventListener("hello", note)
note()

Effect.runFork(chat.pipe(Effect.provide(Socket.layerWebSocketConstructorGlobal)))
