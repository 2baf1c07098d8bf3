import { Context, Effect, Layer, type Scope } from "effect"

/**
 * Each user's connections across nodes (cluster mode), for the per-user
 * limits of PROTOCOL §10 that a node alone cannot count:
 * `MAX_CONNECTIONS_PER_USER` over every node, and the user's message rate,
 * which each node serving the user enforces as its share (the rate divided
 * by the number of nodes the user is connected to).
 *
 * One node alone (memory) counts its connections itself (`ConnectionSlots`)
 * and needs nothing of this: the memory implementation is not `shared`, and
 * the transport skips it. Redis: `RedisUserConnections`.
 */

/** What a reservation found. */
export type Reservation =
  /** within the limit on every node: counted; the user is now on `nodes` nodes */
  | { readonly _tag: "Admitted"; readonly nodes: number }
  /** the user's connections on every node are at the limit */
  | { readonly _tag: "Full" }
  /** the store did not answer: the node's own count decides (never silently: the caller counts it) */
  | { readonly _tag: "Unknown"; readonly reason: string }

/** Told how many nodes serve a user when that changes (a node joined or left the user). */
export type ShareListener = (userId: string, nodes: number) => void

/** The users' connections on every node. */
export class UserConnections extends Context.Tag("switchyard/store/UserConnections")<UserConnections, {
  /** Whether other nodes count too (false: this node is all there is; skip the store). */
  readonly shared: boolean
  /**
   * One more connection of `userId` on this node, which then holds `here`
   * of them: counted if the user's connections on every node stay within
   * `max` (0 or less: no limit).
   */
  readonly reserve: (userId: string, here: number, max: number) => Effect.Effect<Reservation>
  /** A connection of `userId` on this node closed (or never opened): it holds `here` of them now. */
  readonly release: (userId: string, here: number) => Effect.Effect<void>
  /** Hears, for the scope's life, how many nodes serve a user this node serves, when that changes. */
  readonly shares: (listener: ShareListener) => Effect.Effect<void, never, Scope.Scope>
}>() {}

/** One node alone: nothing to count beyond its own slots. */
export const memory: UserConnections["Type"] = {
  shared: false,
  reserve: () => Effect.succeed({ _tag: "Admitted", nodes: 1 }),
  release: () => Effect.void,
  shares: () => Effect.void
}

/** The memory store. */
export const memoryLayer: Layer.Layer<UserConnections> = Layer.succeed(UserConnections, memory)
