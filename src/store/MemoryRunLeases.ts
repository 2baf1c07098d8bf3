import { Effect, Layer } from "effect"
import { RunLeases, RunOwnerUnreachable } from "./RunLeases.js"

/**
 * One node's run ownership (the default, no Redis): every run of a user is on
 * this node, so its own `RunRegistry` knows them all — this store admits
 * everything (the registry's limiter counts), knows no run elsewhere and
 * never loses an owner.
 */
export const make = (owner = "local"): RunLeases["Type"] =>
  RunLeases.of({
    owner,
    shared: false,
    admit: () => Effect.succeed(undefined),
    takeEnd: () => Effect.succeed(undefined),
    locate: () => Effect.succeed({ _tag: "Unknown" }),
    requestStop: (target) => Effect.fail(new RunOwnerUnreachable({ owner: target, detail: "no other node in memory mode" })),
    serveStops: () => Effect.void,
    lost: () => Effect.void,
    lapses: () => Effect.void,
    takeGuard: () => undefined
  })

/** The memory store. */
export const layer: Layer.Layer<RunLeases> = Layer.sync(RunLeases, () => make())
