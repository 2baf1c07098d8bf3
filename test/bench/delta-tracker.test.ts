import { describe, expect, it } from "vitest"
import { DeltaTracker, LossTally } from "../../scripts/bench/delta-tracker.js"
import { toServerFrame } from "../../scripts/bench/frames.js"
import { deltaText } from "../../scripts/bench/model-stream.js"
import { Recorder } from "../../scripts/bench/recorder.js"

const ts = new Date().toISOString()
const delta = (seq: number, runId: string, index: number, writtenMicros = 1000) =>
  toServerFrame({ type: "agent_message_delta", seq, run_id: runId, ts, payload: { text: deltaText(index, writtenMicros) } })!
const completed = (seq: number, runId: string, text: string, status = "completed") =>
  toServerFrame({ type: "agent_completed", seq, run_id: runId, ts, payload: { run_id: runId, status, response: { text } } })!
const answer = (count: number): string => Array.from({ length: count }, (_, k) => deltaText(k, 1000)).join("")

const setup = (deltasPerRun: number, order: "user" | "run" = "user") => {
  const recorder = new Recorder()
  const loss = new LossTally()
  recorder.start()
  return { recorder, loss, tracker: new DeltaTracker(recorder, loss, deltasPerRun, order) }
}

describe("DeltaTracker", () => {
  it("a whole run in order: every delta delivered, with its latency from the write; nothing lost", () => {
    const { recorder, loss, tracker } = setup(3)
    tracker.handle(delta(1, "r", 0, 1000), 3000)
    tracker.handle(delta(2, "r", 1, 1000), 4000)
    tracker.handle(delta(3, "r", 2, 1000), 5000)
    expect(tracker.handle(completed(4, "r", answer(3)), 6000)).toEqual({ runId: "r", status: "completed" })
    expect(recorder.messages).toBe(3)
    expect(recorder.latency.summary().max_ms).toBe(4)
    expect(recorder.errors).toBe(0)
    expect(loss.lost).toBe(0)
  })

  it("a skipped delta is a gap and counts as lost; a run that completes short counts its missing deltas", () => {
    const { recorder, loss, tracker } = setup(4)
    tracker.handle(delta(1, "r", 0), 2000)
    tracker.handle(delta(2, "r", 2), 2000)
    tracker.handle(completed(3, "r", "x"), 2000)
    expect(loss.lost).toBe(2)
    expect(recorder.errorNotes()).toEqual(["delta_gap: 1", "run_short: 1", "answer_not_the_deltas: 1"])
  })

  it("a delta out of order, or after its run completed, is an error", () => {
    const { recorder, tracker } = setup(2, "run")
    tracker.handle(delta(1, "r", 1), 2000)
    tracker.handle(delta(2, "r", 0), 2000)
    tracker.handle(completed(3, "r", answer(2)), 2000)
    tracker.handle(delta(4, "r", 2), 2000)
    expect(recorder.errorNotes()).toEqual(["delta_gap: 1", "delta_repeated_or_reordered: 1", "event_after_completed: 1"])
  })

  it("interleaved runs are tracked apart; with user order a skipped seq is a gap", () => {
    const { recorder, loss, tracker } = setup(1)
    tracker.handle(delta(1, "a", 0), 2000)
    tracker.handle(delta(2, "b", 0), 2000)
    tracker.handle(completed(3, "a", answer(1)), 2000)
    tracker.handle(completed(5, "b", answer(1), "failed"), 2000)
    expect(loss.lost).toBe(0)
    expect(recorder.errorNotes()).toEqual(["seq_gap: 1", "run_failed: 1"])
  })
})
