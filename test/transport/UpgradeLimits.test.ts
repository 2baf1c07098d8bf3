import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { EventEmitter } from "node:events"
import type { WebSocket } from "ws"
import * as SwitchyardConfig from "../../src/Config.js"
import { ConnectionSlots } from "../../src/transport/ConnectionSlots.js"
import { UpgradeLimits } from "../../src/transport/UpgradeLimits.js"
import { rateKey, UpgradeRate } from "../../src/transport/UpgradeRate.js"
import { UpgradeError } from "../../src/transport/WebSocketAcceptor.js"

const limitsWith = (settings: Parameters<typeof SwitchyardConfig.layerWith>[0]) =>
  UpgradeLimits.Default.pipe(Layer.provide(SwitchyardConfig.layerWith(settings)))

/** Just enough of a ws socket for `hold`: a ready state and a close event. */
class FakeWs extends EventEmitter {
  readonly CLOSED = 3
  readyState = 1
  shut(): void {
    this.readyState = this.CLOSED
    this.emit("close")
  }
  get asWebSocket(): WebSocket {
    return this as unknown as WebSocket
  }
}

describe("UpgradeRate", () => {
  it("allows a burst of perMinute, then one every 60/perMinute seconds", () => {
    const rate = new UpgradeRate(3, 100)
    expect([0, 0, 0].map((t) => rate.attempt("10.0.0.1", t).allowed)).toEqual([true, true, true])
    expect(rate.attempt("10.0.0.1", 1000)).toEqual({ allowed: false, retryAfterS: 19 })
    expect(rate.attempt("10.0.0.2", 1000).allowed).toBe(true)
    expect(rate.attempt("10.0.0.1", 20_000).allowed).toBe(true)
    expect(rate.attempt("10.0.0.1", 20_001).allowed).toBe(false)
  })

  it("0 means no limit", () => {
    const rate = new UpgradeRate(0, 10)
    for (let i = 0; i < 1000; i++) expect(rate.attempt("10.0.0.1", 0).allowed).toBe(true)
    expect(rate.size).toBe(0)
  })

  it("remembers at most maxAddresses, forgetting the least recently seen", () => {
    const rate = new UpgradeRate(1, 1000)
    for (let i = 0; i < 100_000; i++) rate.attempt(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, 0)
    expect(rate.size).toBe(1000)
    // the newest are remembered (spent), the oldest forgotten (fresh)
    expect(rate.attempt("10.1.134.159", 0).allowed).toBe(false)
    expect(rate.attempt("10.0.0.0", 0).allowed).toBe(true)
  })

  it("drops the buckets of addresses not seen for a minute", () => {
    const rate = new UpgradeRate(10, 1000)
    for (let i = 0; i < 500; i++) rate.attempt(`10.0.${i >> 8}.${i & 255}`, 0)
    rate.attempt("10.9.9.9", 30_000)
    expect(rate.size).toBe(501)
    rate.attempt("10.9.9.8", 60_000)
    expect(rate.size).toBe(2)
  })

  it("keys IPv4 (also IPv4-mapped) by address and IPv6 by its /64", () => {
    expect(rateKey("127.0.0.1")).toBe("127.0.0.1")
    expect(rateKey("::ffff:127.0.0.1")).toBe("127.0.0.1")
    expect(rateKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64")
    expect(rateKey("2001:DB8:1:2:bbbb:cccc:dddd:eeee")).toBe("2001:db8:1:2::/64")
    expect(rateKey("2001:db8::1")).toBe("2001:db8:0:0::/64")
    expect(rateKey("::1")).toBe("0:0:0:0::/64")
  })
})

describe("ConnectionSlots", () => {
  it("counts per user and per process, exactly, and gives back only what was taken", () => {
    const slots = new ConnectionSlots(2, 3)
    expect([slots.take("a"), slots.take("a"), slots.take("a")]).toEqual([undefined, undefined, "user"])
    expect(slots.take("b")).toBeUndefined()
    expect(slots.take("c")).toBe("process")
    slots.give("a")
    slots.give("nobody")
    expect(slots.taken).toBe(2)
    expect(slots.take("c")).toBeUndefined()
    expect(slots.heldBy("a")).toBe(1)
  })
})

describe("UpgradeLimits", () => {
  it.effect("refills an address's upgrades with effect's Clock (TestClock)", () =>
    Effect.gen(function*() {
      const limits = yield* UpgradeLimits
      expect(limits.attempt("10.0.0.1")).toBeUndefined()
      expect(limits.attempt("10.0.0.1")).toBeUndefined()
      expect(limits.attempt("10.0.0.1")).toMatchObject({ status: 429, retryAfterS: 30 })
      yield* TestClock.adjust("30 seconds")
      expect(limits.attempt("10.0.0.1")).toBeUndefined()
    }).pipe(Effect.provide(limitsWith({ upgradesPerMinPerAddress: 2 }))))

  it.effect("holds a slot until the socket closes; gives it back when the handshake fails", () =>
    Effect.gen(function*() {
      const limits = yield* UpgradeLimits
      expect(limits.reserve("u")).toBeUndefined()
      const ws = new FakeWs()
      yield* limits.hold("u", Effect.succeed(ws.asWebSocket))
      expect(limits.reserve("u")).toMatchObject({ status: 429, retryAfterS: 5 })
      ws.shut()
      ws.shut()
      expect(limits.taken()).toBe(0)
      expect(limits.reserve("u")).toBeUndefined()
      yield* Effect.flip(limits.hold("u", Effect.fail(new UpgradeError({ reason: "Aborted" }))))
      expect(limits.taken()).toBe(0)
      // a socket that closed before the handshake's continuation ran
      expect(limits.reserve("u")).toBeUndefined()
      const gone = new FakeWs()
      gone.readyState = gone.CLOSED
      yield* limits.hold("u", Effect.succeed(gone.asWebSocket))
      expect(limits.taken()).toBe(0)
    }).pipe(Effect.provide(limitsWith({ maxConnectionsPerUser: 1 }))))

  it.effect("answers 503 at the process's limit", () =>
    Effect.gen(function*() {
      const limits = yield* UpgradeLimits
      expect(limits.reserve("a")).toBeUndefined()
      expect(limits.reserve("b")).toMatchObject({ status: 503 })
    }).pipe(Effect.provide(limitsWith({ maxConnections: 1 }))))
})
