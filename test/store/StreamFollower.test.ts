import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { StreamListener } from "../../src/store/Backplane.js"
import type { HistoryEntry } from "../../src/store/History.js"
import * as RedisStreams from "../../src/store/RedisStreams.js"
import { type FollowerNode, StreamFollower } from "../../src/store/StreamFollower.js"

/**
 * A follower on a node whose Redis is a fake: `stream` is what a catch-up
 * reads (the catchUp script's reply, built from it); no Redis needed for the
 * follower's own logic.
 */
const followerOn = (stream: Array<HistoryEntry>, listener: StreamListener) => {
  const node: FollowerNode = {
    tuning: { ...RedisStreams.defaultTuning, retryMs: 10, retryMaxMs: 20 },
    catchUpPage: (_userId, _fresh, afterSeq) =>
      Effect.sync(() => {
        const after = stream.filter((entry) => entry.seq > afterSeq)
        const latest = stream.at(-1)?.seq ?? 0
        // [epoch, latest seq, oldest held seq, another frame at afterSeq?, then seq, at, frame of each entry]
        return ["E", latest, stream[0]?.seq ?? -1, 0, ...after.flatMap((entry) => [entry.seq, entry.at, entry.frame])]
      }),
    restart: () => Effect.void,
    recovering: (pass) => pass,
    unreadable: () => {},
    whenConnected: Effect.void,
    diverging: new Set(),
    fork: (effect) => void Effect.runFork(effect)
  }
  return new StreamFollower(node, "u", listener)
}

const entry = (seq: number): HistoryEntry => ({ seq, at: 0, frame: `{"seq":${seq}}` })
const message = (seq: number) => `e${seq}:0:E:{"seq":${seq}}`

describe("StreamFollower", () => {
  it.live("a listener that throws on what a catch-up held back does not end the follower's catching up", () =>
    Effect.gen(function*() {
      const given: Array<number> = []
      let throwOn = 0
      const listener: StreamListener = {
        event: (e) => {
          if (e.seq === throwOn) {
            throwOn = 0
            throw new Error("a listener's bug")
          }
          given.push(e.seq)
        },
        signal: () => {},
        reset: () => {}
      }
      const stream = [entry(1)]
      const follower = followerOn(stream, listener)
      follower.started({ epoch: "E", latestSeq: 0 })
      follower.onMessage(message(1))
      expect(given).toEqual([1])
      // 3 before 2: a gap, 3 held back; the catch-up reads 2 (Redis holds no more yet), then gives the held 3:
      // the listener throws there
      throwOn = 3
      stream.push(entry(2))
      follower.onMessage(message(3))
      stream.push(entry(3))
      while (given.length < 2) yield* Effect.sleep("5 millis")
      // the catch-up goes on (its next pass, after a pause) and ends; then messages are given as they come, and
      // the next gap is read
      yield* Effect.sleep("50 millis")
      stream.push(entry(4), entry(5), entry(6))
      follower.onMessage(message(4))
      follower.onMessage(message(6))
      while (given.length < 5) yield* Effect.sleep("5 millis")
      expect(given).toEqual([1, 2, 4, 5, 6])
    }))
})
