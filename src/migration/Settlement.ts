/**
 * The background work one handler call leaves behind, such as delivering a
 * legacy backend's events once the frame's ack is out. A shadow comparison
 * waits for it before reading what the call emitted.
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Fiber } from "effect"
import { CurrentFrame } from "../handlers/FrameContext.js"

/**
 * Collects the fibers of one call's background work.
 *
 * @since 0.1.0
 */
export class Tracker {
  private readonly fibers: Array<Fiber.Fiber<unknown, unknown>> = []

  /** `parent`: a tracker of an enclosing call (a shadow comparison) that must see this work too. */
  constructor(private readonly parent?: Tracker | undefined) {}

  /** Remembers a fiber of this call's background work. */
  track(fiber: Fiber.Fiber<unknown, unknown>): void {
    this.fibers.push(fiber)
    this.parent?.track(fiber)
  }

  /** Completes once every tracked fiber has ended. */
  get done(): Effect.Effect<void> {
    return Effect.suspend(() => Effect.asVoid(Fiber.awaitAll(this.fibers.slice())))
  }
}

/**
 * The tracker of the current call, when someone (a shadow comparison) waits
 * for its background work. Optional: without it the work just runs.
 *
 * @since 0.1.0
 */
export class Settlement extends Context.Tag("switchyard/migration/Settlement")<Settlement, Tracker>() {}

/**
 * An upper bound on waiting for the frame's reply; the reply is always sent
 * unless the connection's fiber was torn down mid-frame, and then the work
 * still runs (its events still reach the stream's history for a resume).
 */
const REPLY_WAIT = Duration.seconds(60)

/**
 * Runs `work` in the background once the current frame has been answered, so
 * that the events it emits follow the frame's ack (PROTOCOL §4). The fiber is
 * a daemon: it outlives the handler, which returns right away.
 *
 * @since 0.1.0
 */
export const afterReply = <R>(work: Effect.Effect<void, never, R>): Effect.Effect<void, never, R> =>
  Effect.gen(function*() {
    const frame = yield* CurrentFrame
    const tracker = yield* Effect.serviceOption(Settlement)
    const fiber = yield* Effect.forkDaemon(
      frame.replied.pipe(Effect.timeout(REPLY_WAIT), Effect.ignore, Effect.zipRight(work))
    )
    if (tracker._tag === "Some") tracker.value.track(fiber)
  })
