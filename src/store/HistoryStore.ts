import { Context, type Effect } from "effect"
import type { HistoryEntry } from "./History.js"

/**
 * The retained tail of every user's stream (PROTOCOL §6), bounded as
 * `HistoryOptions` says (count, age and UTF-8 bytes of the frames). One
 * interface, several implementations (in memory, the default; Redis Streams: `RedisStreams`),
 * all held to `test/store/HistoryStoreConformance.ts`.
 *
 * The `Backplane` appends to the same history as it publishes (one atomic
 * step); `append` is for a history filled without a backplane, and for the
 * conformance suite. Ages are judged on the caller's `Clock`, never on a
 * server's own time, so `TestClock` drives them. A backend that cannot answer
 * is a defect at this boundary (a caller could do nothing about an
 * infrastructure failure), so the operations have no error channel.
 */

/** What `read` found: the held events after a seq (a page of them), and where the history stands. */
export interface HistorySlice {
  /** the held events with `seq > afterSeq`, in seq order: the first page of them (`ReadLimit`) */
  readonly entries: ReadonlyArray<HistoryEntry>
  /** the seq of the oldest event held; undefined when nothing is held */
  readonly oldestSeq: number | undefined
  /** the seq of the newest event appended, held or not; 0 before the first */
  readonly latestSeq: number
}

/**
 * How much one `read` returns at most: `maxEvents` events, and none after
 * the one that brings their frames' UTF-8 bytes to `maxBytes` (at least one
 * event, when any is held after the seq). A reader that wants more pages on
 * from the last seq it got; no single read, however long the history, costs
 * more than a page.
 */
export interface ReadLimit {
  readonly maxEvents: number
  readonly maxBytes: number
}

/** A read's page when the caller sets none. */
export const defaultReadLimit: ReadLimit = { maxEvents: 256, maxBytes: 256 * 1024 }

/** A slice of a history that holds nothing (a user never seen, or forgotten). */
export const emptySlice: HistorySlice = { entries: [], oldestSeq: undefined, latestSeq: 0 }

/** The history store of this node. */
export class HistoryStore extends Context.Tag("switchyard/HistoryStore")<HistoryStore, {
  /** Appends `entry` (its seq above every seq appended before) to the user's history, then applies the bounds. */
  readonly append: (userId: string, entry: HistoryEntry) => Effect.Effect<void>
  /**
   * Applies the bounds at the `Clock`'s time, then returns the held events
   * with `seq > afterSeq`, at most a page of them (`limit`, else `defaultReadLimit`).
   */
  readonly read: (userId: string, afterSeq: number, limit?: ReadLimit) => Effect.Effect<HistorySlice>
  /** Forgets the user's history (its stream is gone: the next one starts a new epoch). */
  readonly forget: (userId: string) => Effect.Effect<void>
}>() {}
