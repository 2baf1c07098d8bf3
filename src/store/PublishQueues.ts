import { type Cause, Effect, Exit, Fiber, Runtime } from "effect"

/** How big a batch may be, and how much may wait before the queues are `full`. */
export interface QueueLimits {
  /** items of one batch at most, and the sum of their sizes (an item over it goes alone) */
  readonly batchItems: number
  readonly batchSize: number
  /** a user's waiting items past which the user's queue is full, and the sum of their sizes */
  readonly userItems: number
  readonly userSize: number
  /** the sizes of every user's items not settled yet (waiting, or in a batch) past which every queue is full */
  readonly nodeSize: number
}

/** What the queues do with what is pushed. */
export interface QueueHandlers<A> {
  readonly sizeOf: (item: A) => number
  /** sends a user's batch and settles each of its items: never fails */
  readonly send: (key: string, batch: ReadonlyArray<A>) => Effect.Effect<void>
  /** a send loop died (a defect) holding these items, oldest first, some maybe settled: settle the rest */
  readonly abandon: (key: string, items: ReadonlyArray<A>, cause: Cause.Cause<never>) => Effect.Effect<void>
  /** items pushed (+) or done with (−): for a gauge */
  readonly counted: (delta: number) => void
}

/** A user's items not settled yet: the batch being sent, and those waiting behind it, oldest first. */
interface UserQueue<A> {
  readonly waiting: Array<A>
  /** the waiting items' sizes */
  size: number
  sending: ReadonlyArray<A>
}

/**
 * A node's per-user queues for a backend whose publish is a round trip
 * (Redis: `RedisStreams`). What is pushed for a user is sent a batch at a
 * time — the first once the pushing fiber gives way, each next once the
 * user's last one settled — by a fiber of the node's, not the caller's: a
 * user's items settle in the order pushed whatever the backend answers, a
 * run need not wait for each round trip, and a caller interrupted takes
 * nothing back. Users' queues go on side by side. `sizeOf` must give one
 * item the same size every time (the counts are made of its answers).
 */
export class PublishQueues<A> {
  // a user is here while a send loop of theirs runs
  private readonly queues = new Map<string, UserQueue<A>>()
  private readonly loops = new Set<Fiber.RuntimeFiber<void>>()
  // the sizes of every user's items not settled yet
  private nodeSize = 0

  constructor(
    private readonly runtime: Runtime.Runtime<never>,
    private readonly limits: QueueLimits,
    private readonly handlers: QueueHandlers<A>
  ) {}

  /** Whether the user's queue, or the node's, is past its limits (the caller should then wait for its item). */
  full(key: string): boolean {
    const queue = this.queues.get(key)
    return this.nodeSize >= this.limits.nodeSize ||
      (queue !== undefined && (queue.waiting.length >= this.limits.userItems || queue.size >= this.limits.userSize))
  }

  /** Queues `item` behind the user's items not settled yet; if no send loop of the user's runs, one starts once the caller gives way. */
  push(key: string, item: A): void {
    const size = this.handlers.sizeOf(item)
    this.nodeSize += size
    this.handlers.counted(1)
    const queue = this.queues.get(key)
    if (queue !== undefined) {
      queue.waiting.push(item)
      queue.size += size
      return
    }
    const started: UserQueue<A> = { waiting: [item], size, sending: [] }
    this.queues.set(key, started)
    // started on the scheduler's next turn, not now: what the caller hands over before it gives way goes in this
    // first batch, up to its limits — a run's last event and its `agent_completed`, when the run hands both over
    // in one synchronous stretch (the built-in agent does), so that its end waits for no round trip behind the
    // event before it, and the run makes one script call fewer. Until the loop starts, the item counts as
    // waiting in `full`
    const fiber = Runtime.runFork(this.runtime)(
      Effect.onExit(this.sendLoop(key, started), (exit) => this.ended(key, started, exit)),
      { immediate: false }
    )
    this.loops.add(fiber)
    fiber.addObserver(() => this.loops.delete(fiber))
  }

  /**
   * Completes once no send loop runs (those started meanwhile too). Interruptible, so that a timeout bounds it
   * even in a finalizer, which is not.
   */
  get allSettled(): Effect.Effect<void> {
    const next: Effect.Effect<void> = Effect.suspend(() => {
      const [first] = this.loops
      return first === undefined ? Effect.void : Effect.zipRight(Fiber.await(first), next)
    })
    return Effect.interruptible(next)
  }

  // sends the user's queue a batch at a time, each once the last settled, until none is left
  private sendLoop(key: string, queue: UserQueue<A>): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.done(queue.sending)
      if (queue.waiting.length === 0) {
        queue.sending = []
        this.queues.delete(key)
        return Effect.void
      }
      const batch = this.nextBatch(queue)
      queue.sending = batch
      return Effect.zipRight(this.handlers.send(key, batch), this.sendLoop(key, queue))
    })
  }

  // the oldest waiting, up to `batchItems` of them and `batchSize` (an item over it goes alone)
  private nextBatch(queue: UserQueue<A>): Array<A> {
    let count = 0
    let size = 0
    while (count < queue.waiting.length && count < this.limits.batchItems) {
      const next = this.handlers.sizeOf(queue.waiting[count]!)
      if (count > 0 && size + next > this.limits.batchSize) break
      size += next
      count++
    }
    queue.size -= size
    return queue.waiting.splice(0, count)
  }

  // a send loop that died (a defect: `send` does not fail) hands what it held to `abandon`, and its user's next
  // push starts a loop of its own
  private ended(key: string, queue: UserQueue<A>, exit: Exit.Exit<void>): Effect.Effect<void> {
    if (Exit.isSuccess(exit)) return Effect.void
    const left = [...queue.sending, ...queue.waiting]
    this.done(left)
    queue.sending = []
    queue.waiting.length = 0
    queue.size = 0
    if (this.queues.get(key) === queue) this.queues.delete(key)
    return this.handlers.abandon(key, left, exit.cause)
  }

  private done(items: ReadonlyArray<A>): void {
    for (const item of items) this.nodeSize -= this.handlers.sizeOf(item)
    if (items.length > 0) this.handlers.counted(-items.length)
  }
}
