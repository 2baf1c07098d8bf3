import * as Socket from "@effect/platform/Socket"
import { Effect, Stream } from "effect"
import * as Client from "switchyard/client"

// in development the service mints tokens (POST /dev/token); in production, your app's own endpoint
const token = Effect.tryPromise(() =>
  fetch("/dev/token?user=alice", { method: "POST" }).then((response) => response.json()).then((body) => String(body.token))
)
const show = (line: string) => document.querySelector("#log")!.append(`${line}\n`)

Effect.gen(function*() {
  const client = yield* Client.make({ url: location.origin.replace(/^http/, "ws") + "/ws", token })
  yield* Effect.forkScoped(Stream.runForEach(client.state.changes, (state) => Effect.sync(() => show(state._tag))))
  const events = yield* client.subscribe
  const { run_id } = yield* client.request("user_message", { text: "what is 17 * 23" })
  yield* events.pipe(
    Stream.filter((event) => Client.isStreamGap(event) || event.run_id === run_id),
    Stream.takeUntil((event) => event.type === "agent_completed"),
    Stream.runForEach((event) => Effect.sync(() => show(JSON.stringify(event))))
  )
}).pipe(Effect.scoped, Effect.provide(Socket.layerWebSocketConstructorGlobal), Effect.runFork)
