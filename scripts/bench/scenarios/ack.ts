import { type BenchClient, connectMany } from "../client.js"
import { Recorder } from "../recorder.js"
import { recordErrorFrame } from "../stream-tracker.js"
import type { LoadgenTask, RunResult } from "../task.js"
import { measureWindow, throughputMetrics } from "../window.js"

/**
 * `ack`: `connections` connections (one user each, so `typing` reaches no
 * other connection) each keep `inFlight` acknowledged `typing` frames
 * outstanding; throughput and latency of the `ack`s.
 */
export const runAck = async (task: LoadgenTask): Promise<RunResult> => {
  const { connections, inFlight } = task.settings.ack
  const recorder = new Recorder()
  const users = Array.from({ length: connections }, (_, i) => `ack-${task.tag}-${i}`)
  const connected = await connectMany(task.wsUrl, users, task.secret, task.settings.connectBatch)
  for (let i = 0; i < connected.failures; i++) recorder.error("connect_failed")
  let stopped = false
  const drive = (client: BenchClient): void => {
    const sentAt = new Map<string, number>()
    let counter = 0
    const sendNext = (): void => {
      if (stopped) return
      const id = `a${counter++}`
      sentAt.set(id, performance.now())
      client.send({ type: "typing", id, payload: { is_typing: counter % 2 === 0 } })
    }
    client.onFrame = (frame) => {
      const started = frame.id === undefined ? undefined : sentAt.get(frame.id)
      if (started !== undefined && frame.id !== undefined) {
        sentAt.delete(frame.id)
        if (frame.type === "ack" && frame.payload["status"] === "ok") recorder.observe(performance.now() - started)
        else if (!recordErrorFrame(frame, recorder)) recorder.error(`unexpected_reply ${frame.type}`)
        sendNext()
      } else recordErrorFrame(frame, recorder)
    }
    client.onUnexpectedClose = () => recorder.error("unexpected_close")
    for (let i = 0; i < inFlight; i++) sendNext()
  }
  connected.clients.forEach(drive)
  const window = await measureWindow(recorder, task.serverPid, task.settings.warmupMs, task.settings.durationMs)
  stopped = true
  connected.clients.forEach((c) => c.close())
  const notes = connected.firstError === undefined ? [] : [`first connect error: ${connected.firstError}`]
  return { metrics: throughputMetrics(recorder, window, task.clockTicks), notes: [...notes, ...recorder.errorNotes()] }
}
