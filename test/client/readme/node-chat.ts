import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { Console, Effect, Stream } from "effect"
import * as Client from "switchyard/client"

const chat = Effect.gen(function*() {
  const client = yield* Client.make({
    url: process.env.URL ?? "ws://localhost:8080/ws",
    // run at every connect: after a 4001 (token expired) it must give a fresh token
    token: Effect.sync(() => process.env.TOKEN ?? "")
  })
  const events = yield* client.subscribe // subscribed from here on
  const { run_id } = yield* client.request("user_message", { text: "what is 17 * 23" })
  yield* events.pipe(
    Stream.filter((event) => Client.isStreamGap(event) || event.run_id === run_id),
    Stream.takeUntil((event) => event.type === "agent_completed"),
    Stream.runForEach((event) => {
      switch (event.type) { // each type's payload is typed by the protocol's schemas
        case "tool_completed":
          return Console.log(`[${event.payload.tool}] ${JSON.stringify(event.payload.output)}`)
        case "agent_message_delta":
          return Effect.sync(() => process.stdout.write(event.payload.text))
        case "agent_completed":
          return Console.log(`\n(${event.payload.status})`)
        case "stream_gap":
          return Console.log(`(events lost: ${event.reason}; reload)`)
        default:
          return Effect.void
      }
    })
  )
})

chat.pipe(Effect.scoped, Effect.provide(NodeSocket.layerWebSocketConstructor), NodeRuntime.runMain)
