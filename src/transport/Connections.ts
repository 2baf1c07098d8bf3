import { Effect, Schedule } from "effect"
import { CloseCode } from "../protocol/ErrorCode.js"
import type { Connection } from "./Connection.js"
import { TransportSettings } from "./TransportSettings.js"

/**
 * Every open connection of this node: counted for `/metrics`, pinged by one
 * shared heartbeat loop (not a timer per connection), closed together on drain.
 * `Connections.Default`: the registry, its heartbeat loop running every `heartbeatMs`.
 */
export class Connections extends Effect.Service<Connections>()("switchyard/Connections", {
  scoped: Effect.gen(function*() {
    const config = yield* TransportSettings
    const open = new Set<Connection>()
    // connections per user: the number of connected users without a scan
    const perUser = new Map<string, number>()
    const heartbeat: Effect.Effect<void> = Effect.sync(() => {
      for (const connection of open) {
        if (connection.awaitingPong && ++connection.missedPongs >= 2) {
          connection.close(CloseCode.heartbeatTimeout, "heartbeat timeout")
          continue
        }
        connection.ping()
      }
    })
    if (config.heartbeatMs > 0) {
      yield* Effect.forkScoped(Effect.repeat(heartbeat, Schedule.spaced(config.heartbeatMs)).pipe(
        Effect.delay(config.heartbeatMs)
      ))
    }
    const addNow = (connection: Connection): void => {
      if (open.has(connection)) return
      open.add(connection)
      perUser.set(connection.userId, (perUser.get(connection.userId) ?? 0) + 1)
    }
    const removeNow = (connection: Connection): void => {
      if (!open.delete(connection)) return
      const left = (perUser.get(connection.userId) ?? 1) - 1
      if (left <= 0) perUser.delete(connection.userId)
      else perUser.set(connection.userId, left)
    }
    return {
      add: (connection: Connection): Effect.Effect<void> => Effect.sync(() => addNow(connection)),
      remove: (connection: Connection): Effect.Effect<void> => Effect.sync(() => removeNow(connection)),
      /** `add` done at once (a connect that sets up without a fiber) */
      addNow,
      /** `remove` done at once (a socket's close) */
      removeNow,
      count: Effect.sync(() => open.size),
      /** How many distinct users have an open connection here. */
      users: Effect.sync(() => perUser.size),
      /** Closes every connection with `code` (drain: 1012). */
      closeAll: (code: number, reason: string): Effect.Effect<void> =>
        Effect.sync(() => {
          for (const connection of open) connection.close(code, reason)
        }),
      /** One heartbeat round: ping everyone, close who missed two pongs with 4000. */
      heartbeat
    }
  })
}) {}
