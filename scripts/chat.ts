/**
 * A chat from the terminal, on `switchyard/client` (its first user): sends one
 * message, then prints the run's events as they stream, until it completes.
 * The connection may drop meanwhile: the client reconnects, resumes and
 * resends, and the run still prints once, in order.
 *
 *   npm run chat -- "what is 17 * 23"
 *
 * Env: URL (default ws://localhost:8080/ws), TOKEN (default: a development
 * token for USER_ID, default "alice", signed with JWT_SECRET or the dev secret,
 * minted afresh at each connect).
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { Console, Effect, Schedule, Stream } from "effect"
import * as Client from "../src/client/index.js"
import { DEVELOPMENT_SECRET, sign } from "../src/transport/Jwt.js"

const text = process.argv.slice(2).join(" ") || "what is 17 * 23"
const url = process.env["URL"] ?? `ws://localhost:${process.env["PORT"] ?? 8080}/ws`
const given = process.env["TOKEN"]
const token = given !== undefined ? Effect.succeed(given) : Effect.sync(() =>
  sign(
    { sub: process.env["USER_ID"] ?? "alice", exp: Math.floor(Date.now() / 1000) + 3600 },
    process.env["JWT_SECRET"] || DEVELOPMENT_SECRET
  ))

const chat = Effect.gen(function*() {
  const client = yield* Client.make({
    url,
    token,
    // a terminal gives up after five failed connects in a row (an app would keep trying)
    reconnect: Client.defaultReconnect.pipe(Schedule.intersect(Schedule.recurs(5)))
  })
  yield* Effect.forkScoped(Stream.runForEach(client.state.changes, (state) => Console.error(describe(state))))
  const events = yield* client.subscribe
  const { run_id } = yield* client.request("user_message", { text })
  yield* Console.log(JSON.stringify({ type: "ack", result: { run_id } }))
  yield* events.pipe(
    Stream.filter((event) => Client.isStreamGap(event) || event.run_id === run_id),
    // a gap may have taken the run's end with it (a restarted server without shared history): stop there
    Stream.takeUntil((event) => event.type === "agent_completed" || Client.isStreamGap(event)),
    Stream.runForEach((event) => Console.log(JSON.stringify(event)))
  )
})

const describe = (state: Client.ConnectionState): string =>
  Client.ConnectionState.$match(state, {
    Connecting: ({ attempt }) => `connecting to ${new URL(url).host}${attempt > 1 ? ` (attempt ${attempt})` : ""}`,
    Open: ({ connectionId, epoch, userId }) => `connected as ${userId} (connection ${connectionId}, stream epoch ${epoch})`,
    Reconnecting: ({ disconnect }) => `disconnected: ${disconnect.reason}${disconnect.code === undefined ? "" : ` (${disconnect.code})`}`,
    Closed: ({ disconnect }) => `closed${disconnect === undefined ? "" : `: ${disconnect.reason}`}`
  })

chat.pipe(
  Effect.scoped,
  Effect.provide(NodeSocket.layerWebSocketConstructor),
  Effect.catchAll((error) =>
    Console.error(
      error._tag === "ClientStopped"
        ? `cannot chat with ${new URL(url).host}: ${error.disconnect?.reason ?? "closed"}`
        : `${error._tag}: ${error.message}`
    ).pipe(Effect.zipRight(Effect.sync(() => (process.exitCode = 1))))
  ),
  NodeRuntime.runMain({ disableErrorReporting: true })
)
