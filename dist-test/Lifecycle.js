import { Context, Effect, Layer } from "effect";
class Lifecycle extends Context.Tag("switchyard/Lifecycle")() {
  /** A fresh, serving lifecycle. */
  static layer = Layer.sync(Lifecycle, () => new LifecycleState());
}
class LifecycleState {
  draining = false;
  runningRuns = 0;
  /** Stops accepting new connections and runs. */
  startDraining = Effect.sync(() => {
    this.draining = true;
  });
}
export {
  Lifecycle,
  LifecycleState
};
//# sourceMappingURL=Lifecycle.js.map
