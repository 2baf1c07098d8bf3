import { connectClient } from "../client.js"
import { Recorder } from "../recorder.js"
import { recordErrorFrame } from "../stream-tracker.js"
import type { LoadgenTask, RunResult } from "../task.js"
import { measureWindow, throughputMetrics } from "../window.js"

/** `ping`: one connection, one `ping` in flight; round-trip latency of `pong`. */
export const runPing = async (task: LoadgenTask): Promise<RunResult> => {
  const recorder = new Recorder()
  const client = await connectClient(task.wsUrl, `ping-${task.tag}`, task.secret)
  let counter = 0
  let pending = ""
  let sentAt = 0
  let stopped = false
  const sendNext = (): void => {
    if (stopped) return
    pending = `p${counter++}`
    sentAt = performance.now()
    client.send({ type: "ping", id: pending })
  }
  client.onFrame = (frame) => {
    if (frame.type === "pong" && frame.id === pending) {
      recorder.observe(performance.now() - sentAt)
      sendNext()
    } else recordErrorFrame(frame, recorder)
  }
  client.onUnexpectedClose = () => recorder.error("unexpected_close")
  sendNext()
  const window = await measureWindow(recorder, task.serverPid, task.settings.warmupMs, task.settings.durationMs)
  stopped = true
  client.close()
  return { metrics: throughputMetrics(recorder, window, task.clockTicks), notes: recorder.errorNotes() }
}
