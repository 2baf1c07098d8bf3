import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import * as SwitchyardConfig from "../../src/Config.js"
import { Connection } from "../../src/transport/Connection.js"
import { Connections } from "../../src/transport/Connections.js"
import { FakeSocket } from "../support/FakeSocket.js"

const connectionOn = (socket: FakeSocket, id: string) =>
  new Connection(id, "u", socket.asWebSocket(), { maxBufferedBytes: 1 << 20, maxBufferedFrames: 100 }, 0, 0, () => {})

const layer = Connections.Default.pipe(Layer.provide(SwitchyardConfig.layerWith({ heartbeatMs: 1000 })))

describe("heartbeat", () => {
  it.scoped("pings every heartbeat_ms and closes with 4000 after two missed pongs", () =>
    Effect.gen(function*() {
      const connections = yield* Connections
      const silent = new FakeSocket()
      const lively = new FakeSocket()
      const mute = connectionOn(silent, "mute")
      const alive = connectionOn(lively, "alive")
      yield* connections.add(mute)
      yield* connections.add(alive)

      yield* TestClock.adjust("1 second")
      expect([silent.pings, lively.pings]).toEqual([1, 1])
      alive.onPong()
      yield* TestClock.adjust("1 second")
      // one pong missed: pinged again, still open
      expect([silent.pings, lively.pings]).toEqual([2, 2])
      expect(silent.closedWith).toBeUndefined()
      alive.onPong()
      yield* TestClock.adjust("1 second")
      expect(silent.closedWith?.code).toBe(4000)
      expect(lively.closedWith).toBeUndefined()
      expect(lively.pings).toBe(3)
    }).pipe(Effect.provide(layer)))

  it.scoped("closes every connection with the given code on drain", () =>
    Effect.gen(function*() {
      const connections = yield* Connections
      const sockets = [new FakeSocket(), new FakeSocket()]
      for (const [i, socket] of sockets.entries()) yield* connections.add(connectionOn(socket, `c${i}`))
      expect(yield* connections.count).toBe(2)
      yield* connections.closeAll(1012, "service restart")
      expect(sockets.map((s) => s.closedWith?.code)).toEqual([1012, 1012])
    }).pipe(Effect.provide(layer)))
})
