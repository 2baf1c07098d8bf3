import { Context, Effect, Layer } from "effect"

/**
 * The service's own state: serving or draining, and how many agent runs are
 * going. Readiness, new upgrades and new runs all look here.
 */
export class Lifecycle extends Context.Tag("switchyard/Lifecycle")<Lifecycle, LifecycleState>() {
  /** A fresh, serving lifecycle. */
  static readonly layer: Layer.Layer<Lifecycle> = Layer.sync(Lifecycle, () => new LifecycleState())
}

/** Mutable on purpose: read on every upgrade and run start, changed once per process. */
export class LifecycleState {
  draining = false
  runningRuns = 0

  /** Stops accepting new connections and runs. */
  readonly startDraining = Effect.sync(() => {
    this.draining = true
  })
}
