import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger, LogLevel } from "effect"
import type { StreamListener, StreamPosition } from "../../src/store/Backplane.js"
import type { HistoryEntry } from "../../src/store/History.js"
import * as RedisStreams from "../../src/store/RedisStreams.js"
import { type FollowerNode, StreamFollower } from "../../src/store/StreamFollower.js"

/**
 * A follower on a node whose Redis is a fake: `redis.epoch` and
 * `redis.stream` are what a catch-up reads (the catchUp script's reply is
 * built from them), after `redis.readMs`; no Redis needed for the follower's
 * own logic.
 */
const followerOn = (listener: StreamListener) => {
  const redis = { epoch: "E", stream: [] as Array<HistoryEntry>, readMs: 0 }
  const node: FollowerNode = {
    tuning: { ...RedisStreams.defaultTuning, retryMs: 10, retryMaxMs: 20 },
    catchUpPage: (_userId, _fresh, afterSeq) => {
      const read = Effect.sync(() => {
        const after = redis.stream.filter((entry) => entry.seq > afterSeq)
        // [epoch, latest seq, oldest held seq, another frame at afterSeq?, then seq, at, frame of each entry]
        return [
          redis.epoch,
          redis.stream.at(-1)?.seq ?? 0,
          redis.stream[0]?.seq ?? -1,
          0,
          ...after.flatMap((entry) => [entry.seq, entry.at, entry.frame])
        ]
      })
      return redis.readMs === 0 ? read : Effect.zipRight(Effect.sleep(redis.readMs), read)
    },
    restart: () => Effect.void,
    recovering: (pass) => pass,
    unreadable: () => {},
    whenConnected: Effect.void,
    diverging: new Set(),
    // (the defect each test provokes is logged as an error: not in the test's output)
    fork: (effect) => void Effect.runFork(Logger.withMinimumLogLevel(effect, LogLevel.None))
  }
  return { follower: new StreamFollower(node, "u", listener), redis }
}

const entry = (epoch: string, seq: number): HistoryEntry => ({ seq, at: 0, frame: `${epoch}${seq}` })
const message = (epoch: string, seq: number) => `e${seq}:0:${epoch}:${epoch}${seq}`

/** A listener that records what it is given (frames) and its resets, and throws once on the frame `throwOn`. */
const recording = () => {
  const given: Array<string> = []
  const resets: Array<StreamPosition> = []
  const state = { throwOn: "" }
  const listener: StreamListener = {
    event: (e) => {
      if (e.frame === state.throwOn) {
        state.throwOn = ""
        throw new Error("a listener's bug")
      }
      given.push(e.frame)
    },
    signal: () => {},
    reset: (position) => void resets.push(position)
  }
  return { listener, given, resets, state }
}

const until = (check: () => boolean) => Effect.repeat(Effect.sleep("5 millis"), { until: check })

describe("StreamFollower", () => {
  it.live("a listener that throws on what a catch-up held back does not end the follower's catching up", () =>
    Effect.gen(function*() {
      const { listener, given, state } = recording()
      const { follower, redis } = followerOn(listener)
      redis.stream.push(entry("E", 1))
      follower.started({ epoch: "E", latestSeq: 0 })
      follower.onMessage(message("E", 1))
      expect(given).toEqual(["E1"])
      // 3 before 2: a gap, 3 held back; the catch-up reads 2 (Redis holds no more yet), then gives the held 3:
      // the listener throws there
      state.throwOn = "E3"
      redis.stream.push(entry("E", 2))
      follower.onMessage(message("E", 3))
      redis.stream.push(entry("E", 3))
      yield* until(() => given.length >= 2)
      // the catch-up goes on (its next pass, after a pause) and ends; then messages are given as they come, and
      // the next gap is read
      yield* Effect.sleep("50 millis")
      redis.stream.push(entry("E", 4), entry("E", 5), entry("E", 6))
      follower.onMessage(message("E", 4))
      follower.onMessage(message("E", 6))
      yield* until(() => given.length >= 5)
      expect(given).toEqual(["E1", "E2", "E4", "E5", "E6"])
    }))

  it.live("what a catch-up had taken of what it held before the listener threw is not taken again by its retry", () =>
    Effect.gen(function*() {
      const { listener, given, resets, state } = recording()
      const { follower, redis } = followerOn(listener)
      redis.stream.push(entry("E", 1))
      follower.started({ epoch: "E", latestSeq: 1 })
      // a gap: while the catch-up reads, a new epoch F is announced and its first event comes (both held)
      redis.readMs = 20
      follower.onMessage(message("E", 3))
      follower.onMessage("rF")
      follower.onMessage(message("F", 1))
      redis.stream.push(entry("E", 2), entry("E", 3))
      // the read gives E2, E3; the held F position resets the listener, and it throws on F1
      state.throwOn = "F1"
      yield* until(() => resets.length >= 1)
      // meanwhile the stream moved on to epoch G: the retry finds it, and resets the listener there
      redis.epoch = "G"
      redis.stream = [entry("G", 1)]
      yield* until(() => resets.length >= 2)
      yield* Effect.sleep("50 millis")
      expect(given).toEqual(["E2", "E3"])
      // never back to F (its position was taken before the throw)
      expect(resets.map((r) => r.epoch)).toEqual(["F", "G"])
      follower.onMessage(message("G", 2))
      expect(given).toEqual(["E2", "E3", "G2"])
    }))
})
