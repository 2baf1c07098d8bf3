import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { createServer, connect, type Socket } from "node:net"
import type { IncomingMessage } from "node:http"
import { TransportSettings } from "../../src/transport/TransportSettings.js"
import { WebSocketAcceptor } from "../../src/transport/WebSocketAcceptor.js"

/** The server's side of a real TCP connection, and the client's. */
const socketPair = (): Promise<{ readonly server: Socket; readonly client: Socket; readonly close: () => void }> =>
  new Promise((resolve) => {
    const listener = createServer((server) => resolve({ server, client, close: () => listener.close() }))
    let client: Socket
    listener.listen(0, "127.0.0.1", () => {
      const address = listener.address()
      client = connect(typeof address === "object" && address !== null ? address.port : 0, "127.0.0.1")
    })
  })

const closed = (socket: Socket): Promise<void> => new Promise((resolve) => socket.once("close", () => resolve()))

const acceptor = WebSocketAcceptor.Default.pipe(Layer.provide(Layer.succeed(TransportSettings, TransportSettings.defaults)))

describe("WebSocketAcceptor", () => {
  // cluster mode counts the user's connections in Redis before the handshake: a peer may reset meanwhile
  it.scoped("a socket the peer reset before the handshake is aborted at once: its slots are given back", () =>
    Effect.gen(function*() {
      const ws = yield* WebSocketAcceptor
      const pair = yield* Effect.promise(socketPair)
      pair.server.on("error", () => undefined)
      pair.client.resetAndDestroy()
      yield* Effect.promise(() => closed(pair.server))
      let aborted = 0
      let opened = 0
      ws.acceptUpgradeNow({ headers: {} } as IncomingMessage, pair.server, Buffer.alloc(0), () => opened++, () => aborted++)
      expect(aborted).toBe(1)
      expect(opened).toBe(0)
      pair.close()
    }).pipe(Effect.provide(acceptor)))
})
