import type { Context, Effect, Scope } from "effect"

/**
 * A shared backing (an in-memory one; one Redis server under a key prefix of
 * its own) and a way to make nodes over it, for the conformance suites: a
 * test of several nodes makes several, and each sees what the others store.
 * Redis makes a node as two clients (commands and subscriptions) on the one
 * server; the in-memory store as two views of one object.
 */
export interface StoreCluster<I> {
  /** another node over the shared backing; its stores live as long as the Scope */
  readonly node: Effect.Effect<Context.Context<I>, never, Scope.Scope>
}

/** Makes a fresh backing, shared by nothing else, from the stores' options; it is removed with the Scope. */
export type MakeCluster<Options, I> = (options: Options) => Effect.Effect<StoreCluster<I>, never, Scope.Scope>
