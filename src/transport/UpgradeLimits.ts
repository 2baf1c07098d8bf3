import { Effect, Exit, Option, Runtime } from "effect"
import { UserConnections } from "../store/UserConnections.js"
import { AdmissionFallback } from "../observability/AdmissionFallback.js"
import type { WebSocket } from "ws"
import { TransportSettings } from "./TransportSettings.js"
import * as Metrics from "../observability/Metrics.js"
import type { Refusal } from "./Refusal.js"
import { ConnectionSlots } from "./ConnectionSlots.js"
import { UpgradeRate } from "./UpgradeRate.js"

/** Seconds a client over a connection limit is told to wait: a slot frees when a connection closes, at no set time. */
const SLOT_RETRY_AFTER_S = 5

/**
 * The connection limits of PROTOCOL §10 that an upgrade meets before its
 * handshake (`Admission.admit`): upgrades per address per minute (`429`),
 * connections per user (`429`) and per process (`503`). The address is the
 * socket's remote address: behind a reverse proxy every client shares the
 * proxy's, so there the proxy should limit per client and this be set to 0.
 * `UpgradeLimits.Default`: the limits of the settings, timed by effect's `Clock`.
 *
 * In cluster mode (a shared `UserConnections` in context) the per-user limit
 * counts the user's connections on every node: after the node's own slot is
 * taken, `reserveShared` asks the store (one Redis script) before the
 * handshake. If Redis does not answer, the node's own count decides (at most
 * `MAX_CONNECTIONS_PER_USER` per node), counted in
 * `switchyard_admission_fallbacks_total{check="connections"}` and logged.
 * One node alone never asks anything: `reserveShared` is undefined.
 */
export class UpgradeLimits extends Effect.Service<UpgradeLimits>()("switchyard/UpgradeLimits", {
  effect: Effect.gen(function*() {
    const config = yield* TransportSettings
    const clock = yield* Effect.clock
    const rate = new UpgradeRate(config.upgradesPerMinPerAddress, config.upgradeRateMaxAddresses)
    const slots = new ConnectionSlots(config.maxConnectionsPerUser, config.maxConnections)
    const found = yield* Effect.serviceOption(UserConnections)
    const shared = Option.isSome(found) && found.value.shared ? found.value : undefined
    const fallback = new AdmissionFallback()
    const run = Runtime.runFork(yield* Effect.runtime<never>())
    // a slot given back; in cluster mode the user's count on every node follows (in the background)
    const give = shared === undefined
      ? (userId: string) => slots.give(userId)
      : (userId: string) => {
        slots.give(userId)
        run(shared.release(userId, slots.heldBy(userId)))
      }
    // whose slot each held socket has; one shared close listener, not a closure per connection
    const holders = new WeakMap<WebSocket, string>()
    function releaseOnClose(this: WebSocket): void {
      const userId = holders.get(this)
      if (userId === undefined) return
      holders.delete(this)
      give(userId)
    }
    const holdSocket = (userId: string, ws: WebSocket): void => {
      // closed before we got here: its close event has been and gone
      if (ws.readyState === ws.CLOSED) return give(userId)
      holders.set(ws, userId)
      ws.on("close", releaseOnClose)
    }
    const userFull: Refusal = {
      status: 429,
      error: "too many connections for this user: close one and retry",
      retryAfterS: SLOT_RETRY_AFTER_S
    }
    return {
      /** Counts an upgrade attempt from `address`; a refusal when the address is over its rate. */
      attempt: (address: string | undefined): Refusal | undefined => {
        // a socket already gone has no address; its upgrade fails at the handshake anyway
        if (address === undefined) return undefined
        const outcome = rate.attempt(address, clock.unsafeCurrentTimeMillis())
        if (outcome.allowed) return undefined
        Metrics.count(Metrics.upgradesRefused, { reason: "address_rate" })
        return { status: 429, error: "too many upgrades from this address: retry later", retryAfterS: outcome.retryAfterS }
      },
      /** Takes a slot of `userId` (and of the process) for an upgrade about to be accepted, or refuses. */
      reserve: (userId: string): Refusal | undefined => {
        switch (slots.take(userId)) {
          case undefined:
            return undefined
          case "process":
            Metrics.count(Metrics.upgradesRefused, { reason: "process_connections" })
            return {
              status: 503,
              error: "the server is at its connection limit: reconnect to another node",
              retryAfterS: SLOT_RETRY_AFTER_S
            }
          case "user":
            Metrics.count(Metrics.upgradesRefused, { reason: "user_connections" })
            return userFull
        }
      },
      /**
       * Cluster mode: after `reserve`, the user's connections on every node
       * (undefined on one node alone: nothing to ask). A refusal gives the
       * node's slot back; the caller answers with it.
       */
      reserveShared: shared === undefined ? undefined : (userId: string): Effect.Effect<Refusal | undefined> =>
        Effect.flatMap(
          shared.reserve(userId, slots.heldBy(userId), config.maxConnectionsPerUser),
          (reservation): Effect.Effect<Refusal | undefined> => {
            switch (reservation._tag) {
              case "Admitted":
                return Effect.succeed(undefined)
              case "Unknown":
                return Effect.as(fallback.record("connections", reservation.reason), undefined)
              case "Full":
                slots.give(userId)
                Metrics.count(Metrics.upgradesRefused, { reason: "user_connections" })
                return Effect.succeed(userFull)
            }
          }
        ),
      /**
       * Runs the handshake of an upgrade `reserve` let through: the slot is held
       * until the socket closes, and given back at once if the handshake fails or
       * is interrupted. The `/ws` route's upgrades go through here; `DirectUpgrade`
       * (the service's own server) holds and gives back with `holdSocket` / `give`.
       */
      hold: <E, R>(userId: string, upgrade: Effect.Effect<WebSocket, E, R>): Effect.Effect<WebSocket, E, R> =>
        Effect.onExit(upgrade, (exit) =>
          Effect.sync(() => Exit.isFailure(exit) ? give(userId) : holdSocket(userId, exit.value))),
      /** `hold`'s success, for a handshake done without an Effect: the slot is now held until `ws` closes. */
      holdSocket,
      /** `hold`'s failure, for a handshake done without an Effect: the slot of an upgrade that did not complete is given back. */
      give,
      /** Slots taken: connections open or being opened. */
      taken: (): number => slots.taken
    }
  })
}) {}
