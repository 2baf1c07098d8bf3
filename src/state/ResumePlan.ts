import type { ResumeResult as ResumeAck } from "../protocol/Results.js"
import type { Epoch } from "../store/Epoch.js"

/** What a client resumes from (PROTOCOL §4 `resume {last_seq, epoch?}`). */
export interface ResumeRequest {
  /** the highest seq the client has seen */
  readonly lastSeq: number
  /** the epoch that seq belongs to; absent from clients that do not keep one */
  readonly epoch?: Epoch | undefined
}

/** Where a stream is when a resume arrives. */
export interface StreamPosition {
  readonly epoch: Epoch
  readonly latestSeq: number
  /** the oldest seq history still holds; undefined when it holds nothing */
  readonly oldestSeq: number | undefined
}

/** What to replay (held events with `seq > after`; nothing when undefined) and whether the client has a gap. */
export interface ResumePlan {
  readonly after: number | undefined
  readonly gap: boolean
}

/** The `ack` result of a `resume` (PROTOCOL §4): `{replayed, gap, epoch}`. */
export type ResumeResult = typeof ResumeAck.Type

/**
 * Decides a resume (PROTOCOL §4, §6). A gap is reported when
 *
 * - the client's epoch is not the stream's: its seq counts a stream whose past
 *   is gone, so it has seen nothing of this epoch — everything held of this
 *   epoch is replayed (from seq 1 when history reaches back), which the client
 *   takes after resetting to `(epoch, 0)`;
 * - its `last_seq` is above the stream's latest: that position never existed
 *   in this epoch, so nothing is replayed and the client reloads state;
 * - history no longer reaches back to `last_seq + 1`: what is held is replayed.
 */
export const plan = (request: ResumeRequest, stream: StreamPosition): ResumePlan => {
  if (!sameEpoch(request, stream.epoch)) return { after: readAfter(request, stream.epoch), gap: true }
  if (request.lastSeq > stream.latestSeq) return { after: undefined, gap: true }
  return { after: readAfter(request, stream.epoch), gap: !reachesBack(request.lastSeq, stream) }
}

/**
 * Where a resume reads history from, in a stream of `epoch` (the held events
 * with `seq >` this), before the stream's position is known: what `plan`
 * replays when it replays anything. A client of another epoch has seen
 * nothing of this one, so it reads all that is held.
 */
export const readAfter = (request: ResumeRequest, epoch: Epoch): number =>
  sameEpoch(request, epoch) ? request.lastSeq : 0

// a client without an epoch is taken to be in the stream's
const sameEpoch = (request: ResumeRequest, epoch: Epoch): boolean =>
  request.epoch === undefined || request.epoch === epoch

// nothing missed, or the oldest held event is the first one the client lacks (or older)
const reachesBack = (lastSeq: number, stream: StreamPosition): boolean =>
  lastSeq === stream.latestSeq || (stream.oldestSeq !== undefined && stream.oldestSeq <= lastSeq + 1)
