import { Effect } from "effect"
import { randomBytes } from "node:crypto"

/**
 * A stream epoch (PROTOCOL §6): the opaque name of one run of `seq` numbers.
 * A new epoch is minted whenever a stream is made without its past (a user's
 * context made anew after a release, a node restarted without shared history),
 * so a client's `(epoch, last_seq)` can never be mistaken for a position in a
 * stream that started again at 1. A shared store (Redis) would mint it once
 * per stream key instead; nothing else needs to change.
 */
export type Epoch = string

// 48 random bits drawn once per process (a draw per stream cost more than the rest of a connect), and a counter
const processTag = randomBytes(6).toString("hex")
let minted = 0

/**
 * Mints an epoch: the time in base 36 (ordered, readable in logs), this
 * process's random tag and a counter, so two streams made in the same
 * millisecond — on one node or on two — do not share one.
 */
export const unsafeMake = (nowMs: number = Date.now()): Epoch =>
  `${Math.max(0, Math.floor(nowMs)).toString(36)}-${processTag}${(++minted).toString(36)}`

/** Mints an epoch at the current time of the `Clock`. */
export const make: Effect.Effect<Epoch> = Effect.clockWith((clock) =>
  Effect.sync(() => unsafeMake(clock.unsafeCurrentTimeMillis()))
)
