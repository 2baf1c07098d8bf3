import { Chunk, Context, Effect, Layer, Queue } from "effect"
import { createConnection, type Socket } from "node:net"
import { Backplane, type StreamListener, type StreamPosition } from "../../src/store/Backplane.js"
import type { HistoryEntry, HistoryOptions } from "../../src/store/History.js"
import { HistoryStore } from "../../src/store/HistoryStore.js"
import * as Redis from "../../src/store/Redis.js"
import { RedisSettings } from "../../src/store/RedisSettings.js"
import * as RedisStreams from "../../src/store/RedisStreams.js"
import { deletePrefix, uniquePrefix } from "./RedisServer.js"

/**
 * Nodes of the Redis backplane (`RedisStreams`) for tests against a real
 * Redis, each with a connection of its own (or through a proxy), and what
 * those tests record and watch.
 */

/** History bounds these tests' streams stay within. */
export const history = { minEvents: 100, minAgeMs: 60_000, maxEvents: 1000 }

/** A listener that records events and resets as they come. */
export const recorder = Effect.gen(function*() {
  const events = yield* Queue.unbounded<HistoryEntry>()
  const resets = yield* Queue.unbounded<StreamPosition>()
  const signals = yield* Queue.unbounded<string>()
  const listener: StreamListener = {
    event: (entry) => void Queue.unsafeOffer(events, entry),
    signal: (frame) => void Queue.unsafeOffer(signals, frame),
    reset: (position) => void Queue.unsafeOffer(resets, position)
  }
  return { listener, events, resets, signals, take: (n: number) => Effect.map(Queue.takeN(events, n), Chunk.toArray) }
})

/** Nodes on one prefix of the Redis at `url` (a node may take a URL of its own, a proxy in front of it, and a tuning). */
export const nodesOn = (url: string, options: HistoryOptions = history, tuning?: RedisStreams.Tuning) =>
  Effect.gen(function*() {
    const prefix = uniquePrefix()
    yield* Effect.addFinalizer(() => Effect.promise(() => deletePrefix(url, prefix).catch(() => undefined)))
    return (nodeUrl = url, nodeTuning = tuning) =>
      Effect.map(
        Layer.build(
          RedisStreams.layer(options, undefined, nodeTuning).pipe(
            Layer.provideMerge(Redis.layerWith(RedisSettings.make({
              url: nodeUrl,
              prefix,
              commandTimeoutMs: 300,
              reconnectMaxDelayMs: 100
            }))),
            Layer.orDie
          )
        ),
        (context) => ({
          backplane: Context.get(context, Backplane),
          history: Context.get(context, HistoryStore),
          redis: Context.get(context, Redis.Redis),
          prefix
        })
      )
  })

/** Event `n`: its frame `{"n":<n>,"seq":<seq>}`. */
export const pending = (n: number) => ({ head: `{"n":${n},"seq":`, tail: "}", at: n })

/**
 * The times (ms, Redis's clock) of the runs of `script` the Redis at `url`
 * runs from now on (those on keys of `prefix` only, if given), for the
 * scope's life: `MONITOR` on a plain socket, whose lines are
 * `+<time> [<db> <client>] "evalsha" "<sha>" "<key count>" "<prefix>" ...`.
 */
export const scriptRuns = (url: string, script: Redis.RedisScript, prefix?: string) =>
  Effect.gen(function*() {
    const { hostname: host, port } = new URL(url)
    const times: Array<number> = []
    const socket = yield* Effect.acquireRelease(
      Effect.async<Socket>((resume) => {
        const socket = createConnection({ host, port: Number(port) }, () => {
          socket.write("MONITOR\r\n")
          resume(Effect.succeed(socket))
        })
        socket.once("error", (error) => resume(Effect.die(error)))
      }),
      (socket) => Effect.sync(() => socket.destroy())
    )
    let rest = ""
    let on = false
    socket.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = (rest + chunk).split("\r\n")
      rest = lines.pop()!
      for (const line of lines) {
        if (line === "+OK") on = true
        else if (line.includes(`"evalsha" "${script.sha}"`) && (prefix === undefined || line.includes(`"${prefix}"`))) {
          times.push(Number(line.slice(1, line.indexOf(" "))) * 1000)
        }
      }
    })
    while (!on) yield* Effect.sleep("5 millis")
    return { times: () => [...times] }
  })
