/**
 * What the browser check runs in Chromium: the client, bundled by esbuild for
 * the browser, on the browser's own WebSocket (`layerWebSocketConstructorGlobal`).
 */
import * as Socket from "@effect/platform/Socket"
import { Effect, Option, Stream } from "effect"
import * as Client from "../../../src/client/index.js"

/** What the page reports back to the test. */
export interface GoldenPathResult {
  readonly runId: string
  readonly types: ReadonlyArray<string>
  readonly seqs: ReadonlyArray<number>
  readonly answer: unknown
}

const goldenPath = (url: string, token: string): Promise<GoldenPathResult> =>
  Effect.gen(function*() {
    const client = yield* Client.make({ url, token: Effect.succeed(token) })
    const events = yield* client.subscribe
    const { run_id } = yield* client.request("user_message", { text: "what is 17 * 23" })
    const run = yield* events.pipe(
      Stream.filter((event) => !Client.isStreamGap(event) && event.run_id === run_id),
      Stream.takeUntil((event) => event.type === "agent_completed"),
      Stream.runCollect
    )
    const list = Array.from(run).filter((event): event is Client.StreamEvent => !Client.isStreamGap(event))
    const done = list.at(-1)
    return {
      runId: run_id,
      types: list.map((event) => event.type),
      seqs: list.map((event) => event.seq),
      // typed by the protocol's schemas: a completed run's payload has its response
      answer: done?.type === "agent_completed" && done.payload.status === "completed" ? done.payload.response : undefined
    }
  }).pipe(Effect.scoped, Effect.provide(Socket.layerWebSocketConstructorGlobal), Effect.runPromise)

/** How the client ends when its token is refused: what a browser cannot see in the WebSocket itself. */
const refused = (url: string, token: string): Promise<unknown> =>
  Effect.gen(function*() {
    const client = yield* Client.make({ url, token: Effect.succeed(token) })
    const closed = yield* client.state.changes.pipe(Stream.filter((state) => state._tag === "Closed"), Stream.runHead)
    const failure = yield* Effect.flip(client.request("ping", {}))
    return { closed: Option.getOrUndefined(closed), failure: { _tag: failure._tag, message: failure.message } }
  }).pipe(Effect.scoped, Effect.provide(Socket.layerWebSocketConstructorGlobal), Effect.runPromise)

Object.assign(globalThis, { goldenPath, refused })
