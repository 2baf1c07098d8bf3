import { Clock, Deferred, Duration, Effect, Exit, FiberId, Layer, Schedule, type Scope } from "effect"
import { DedupeSettings } from "./DedupeSettings.js"
import { jsonLength } from "./JsonLength.js"
import { type Claim, type DedupeOptions, DedupeStore, New, Pending, type SyncDedupeStore } from "./DedupeStore.js"

// what an entry and a user's record cost besides their strings (objects, map slots, array slots)
const ENTRY_OVERHEAD = 128
const USER_OVERHEAD = 256
// the node sweep runs at least this often, so that a user who left is forgotten about on time
const MAX_SWEEP_INTERVAL_MS = 60_000

/** One claimed id: pending while its first processing runs, then done with its result. */
class Entry {
  done = false
  removed = false
  result: object | undefined = undefined
  at = 0
  bytes = 0
  // made only when a concurrent duplicate has to wait for the outcome (rare)
  waiters: Deferred.Deferred<void> | undefined = undefined

  constructor(readonly user: UserIds, readonly id: string) {}
}

/** The ids of one user; `order` holds the done ones, oldest first (eviction pops from `head`). */
class UserIds {
  readonly entries = new Map<string, Entry>()
  order: Array<Entry> = []
  head = 0
  bytes = 0

  constructor(readonly userId: string) {}
}

/**
 * The in-memory dedupe store (the default), bounded as `DedupeOptions` says:
 * a map of users, each a map of ids, plus one node-wide list of done entries
 * in completion order, which the sweep and the node byte bound walk from the
 * oldest end. Bytes are counted as the length of the result's JSON (`jsonLength`)
 * plus the id and a fixed overhead per entry and per user: an estimate of the heap held.
 */
export class MemoryDedupe implements SyncDedupeStore {
  private readonly users = new Map<string, UserIds>()
  private order: Array<Entry> = []
  private head = 0
  private totalBytes = 0
  readonly options: DedupeOptions

  constructor(options: DedupeOptions) {
    this.options = { ...options, maxEntries: Math.max(options.maxEntries, options.minEntries) }
  }

  readonly claim = (userId: string, id: string): Claim => {
    let user = this.users.get(userId)
    if (user === undefined) {
      user = new UserIds(userId)
      this.users.set(userId, user)
      this.totalBytes += USER_OVERHEAD
    }
    const entry = user.entries.get(id)
    if (entry === undefined) {
      user.entries.set(id, new Entry(user, id))
      return New
    }
    return entry.done ? { _tag: "Duplicate", result: entry.result! } : Pending
  }

  readonly complete = (userId: string, id: string, result: object, nowMs: number): void => {
    const entry = this.users.get(userId)?.entries.get(id)
    if (entry === undefined || entry.done) return
    const size = jsonLength(result, this.options.maxResultBytes)
    if (size === undefined) return this.remove(entry)
    const user = entry.user
    entry.done = true
    entry.result = result
    entry.at = nowMs
    entry.bytes = size + id.length + ENTRY_OVERHEAD
    user.bytes += entry.bytes
    this.totalBytes += entry.bytes
    user.order.push(entry)
    this.order.push(entry)
    wake(entry)
    this.evictUser(user, nowMs)
    this.evictNode()
  }

  readonly expire = (userId: string, id: string): void => {
    const entry = this.users.get(userId)?.entries.get(id)
    if (entry !== undefined) this.remove(entry)
  }

  /** Completes once the pending claim of (user, id), if any, has ended. */
  settled(userId: string, id: string): Effect.Effect<void> {
    return Effect.suspend(() => {
      const entry = this.users.get(userId)?.entries.get(id)
      if (entry === undefined || entry.done) return Effect.void
      entry.waiters ??= Deferred.unsafeMake(FiberId.none)
      return Deferred.await(entry.waiters)
    })
  }

  /** Drops every id older than the window, node-wide (users who left included). */
  sweep(nowMs: number): void {
    while (this.head < this.order.length) {
      const entry = this.order[this.head]!
      if (!entry.removed) {
        if (nowMs - entry.at < this.options.windowMs) break
        this.remove(entry)
      }
      this.head++
    }
    this.compactNode()
  }

  /** How many users have ids remembered or pending. */
  get userCount(): number {
    return this.users.size
  }

  /** How many ids of `userId` are remembered or pending. */
  entryCount(userId: string): number {
    return this.users.get(userId)?.entries.size ?? 0
  }

  /** The estimated bytes held, node-wide. */
  get bytes(): number {
    return this.totalBytes
  }

  // oldest first: stop at the first id that may still be kept
  private evictUser(user: UserIds, nowMs: number): void {
    const { maxBytesPerUser, maxEntries, windowMs } = this.options
    while (user.head < user.order.length) {
      const entry = user.order[user.head]!
      if (!entry.removed) {
        const over = user.entries.size > maxEntries || user.bytes > maxBytesPerUser
        if (!over && nowMs - entry.at < windowMs) break
        this.remove(entry)
      }
      user.head++
    }
    if (user.head > 1024 && user.head * 2 > user.order.length) {
      user.order = user.order.slice(user.head)
      user.head = 0
    }
  }

  // over the node's byte bound, the node's oldest ids go, whoever they belong to
  private evictNode(): void {
    while (this.totalBytes > this.options.maxBytes && this.head < this.order.length) {
      const entry = this.order[this.head]!
      if (!entry.removed) this.remove(entry)
      this.head++
    }
    this.compactNode()
  }

  // the node list without its dropped head, once that saves enough to be worth a copy
  private compactNode(): void {
    if (this.head >= this.order.length) {
      this.order = []
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head)
      this.head = 0
    }
  }

  private remove(entry: Entry): void {
    if (entry.removed) return
    entry.removed = true
    const user = entry.user
    if (user.entries.get(entry.id) === entry) user.entries.delete(entry.id)
    if (entry.done) {
      user.bytes -= entry.bytes
      this.totalBytes -= entry.bytes
      entry.result = undefined
    } else wake(entry)
    // a user with nothing left costs nothing: the record goes (its lists with it)
    if (user.entries.size === 0 && this.users.get(user.userId) === user) {
      this.users.delete(user.userId)
      this.totalBytes -= USER_OVERHEAD
    }
  }
}

const wake = (entry: Entry): void => {
  if (entry.waiters !== undefined) Deferred.unsafeDone(entry.waiters, Exit.void)
}

/** The store as the `DedupeStore` service, with its node sweep running on the `Clock` for the scope's life. */
export const make = (options: DedupeOptions): Effect.Effect<DedupeStore["Type"], never, Scope.Scope> =>
  Effect.gen(function*() {
    const memory = new MemoryDedupe(options)
    const interval = Math.max(1, Math.min(memory.options.windowMs, MAX_SWEEP_INTERVAL_MS))
    yield* Effect.forkScoped(Effect.repeat(
      Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => memory.sweep(now))),
      Schedule.spaced(Duration.millis(interval))
    ))
    return {
      claim: (userId, id) => Effect.sync(() => memory.claim(userId, id)),
      record: (userId, id, result) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.sync(() => {
            const claim = memory.claim(userId, id)
            if (claim._tag === "New") memory.complete(userId, id, result, now)
            return claim
          })),
      complete: (userId, id, result) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => memory.complete(userId, id, result, now))),
      expire: (userId, id) => Effect.sync(() => memory.expire(userId, id)),
      settled: (userId, id) => memory.settled(userId, id),
      sync: memory,
      sharedWaits: undefined
    }
  })

/** The options of the store, from the node's settings. */
export const optionsFrom = (config: DedupeSettings["Type"]): DedupeOptions => ({
  windowMs: config.dedupeWindowMs,
  minEntries: config.dedupeMinEntries,
  maxEntries: config.dedupeMaxEntries,
  maxBytesPerUser: config.dedupeMaxBytesPerUser,
  maxResultBytes: config.dedupeMaxResultBytes,
  maxBytes: config.dedupeMaxBytes
})

/** The in-memory store with the given bounds. */
export const layerWith = (options: DedupeOptions): Layer.Layer<DedupeStore> =>
  Layer.scoped(DedupeStore, make(options))

/** The in-memory store with the node's settings: the default, needing nothing installed. */
export const layer: Layer.Layer<DedupeStore, never, DedupeSettings> = Layer.scoped(
  DedupeStore,
  Effect.flatMap(DedupeSettings, (config) => make(optionsFrom(config)))
)
