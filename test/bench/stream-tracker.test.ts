import { describe, expect, it } from "vitest"
import { toServerFrame } from "../../scripts/bench/frames.js"
import { Recorder } from "../../scripts/bench/recorder.js"
import { StreamTracker } from "../../scripts/bench/stream-tracker.js"

const event = (seq: number, runId: string, type = "agent_thinking") =>
  toServerFrame({ type, seq, run_id: runId, ts: new Date().toISOString(), payload: { status: "completed" } })!

describe("StreamTracker", () => {
  it("user order: a per-connection seq that skips one is a gap", () => {
    const recorder = new Recorder()
    const tracker = new StreamTracker(recorder)
    tracker.handle(event(1, "r1"))
    tracker.handle(event(3, "r1"))
    expect(recorder.errorNotes()).toEqual(["seq_gap: 1"])
  })

  it("run order (the Socket.IO baseline): interleaved runs are fine, each counting 1, 2, 3…; a run out of order is an error", () => {
    const recorder = new Recorder()
    const tracker = new StreamTracker(recorder, "run")
    tracker.handle(event(1, "a"))
    tracker.handle(event(1, "b"))
    tracker.handle(event(2, "a"))
    expect(tracker.handle(event(2, "b", "agent_completed"))).toEqual({ runId: "b", events: 2, status: "completed" })
    expect(recorder.errors).toBe(0)
    tracker.handle(event(4, "a"))
    expect(recorder.errorNotes()).toEqual(["run_order: 1"])
  })

  it("counts a run's end's latency apart from its other events', and both in the whole", () => {
    const recorder = new Recorder()
    recorder.start()
    const tracker = new StreamTracker(recorder)
    const at = (seq: number, type: string, agoMs: number) =>
      toServerFrame({ type, seq, run_id: "r1", ts: new Date(Date.now() - agoMs).toISOString(), payload: { status: "completed" } })!
    tracker.handle(at(1, "agent_started", 1))
    tracker.handle(at(2, "agent_thinking", 1))
    tracker.handle(at(3, "agent_completed", 50))
    expect([recorder.latency.summary().count, recorder.restLatency.summary().count, recorder.runEndLatency.summary().count])
      .toEqual([3, 2, 1])
    expect(recorder.runEndLatency.summary().p50_ms).toBeGreaterThanOrEqual(49)
    expect(recorder.restLatency.summary().max_ms).toBeLessThan(49)
  })
})
