import { setTimeout as sleep } from "node:timers/promises"
import { connectClient, type StreamClient } from "../client.js"
import { DeltaTracker, LossTally } from "../delta-tracker.js"
import { LatencyHistogram } from "../histogram.js"
import { monotonicMicros } from "../model-stream.js"
import { totalTicks } from "../proc-parse.js"
import { readCpuTicks } from "../proc-read.js"
import { Recorder } from "../recorder.js"
import { connectSocketIo } from "../socketio-client.js"
import { recordErrorFrame } from "../stream-tracker.js"
import type { LoadgenTask, StreamTopology } from "../task.js"

/** The question of every run (the fake model answers every question alike). */
const RUN_TEXT = "stream me an answer"

/** Connections of user `index`: users alternate one and two. */
export const connectionsOf = (index: number): number => 1 + (index % 2)

/**
 * One user: one run at a time, the next asked for as soon as the last one
 * completed on the user's first connection (the driver). Every connection
 * of the user tracks every delta (`DeltaTracker`).
 */
class StreamUser {
  private counter = 0
  running = false
  /** when the run going was asked for, until its first delta arrived on the driver */
  private askedAt: number | undefined
  private askedInWindow = false

  constructor(private readonly load: StreamLoad, private readonly clients: ReadonlyArray<StreamClient>) {
    for (const client of clients) {
      const tracker = new DeltaTracker(load.recorder, load.loss, load.deltasPerRun, load.topology.client === "socketio" ? "run" : "user")
      client.onFrame = (frame) => {
        load.framesSeen += 1
        if (frame.type === "agent_message_delta") {
          load.deltasSeen += 1
          if (client === this.driver && this.askedAt !== undefined) {
            // runs asked for in the window are its figure; the ones before it (the service's first calls
            // to the model server among them) are the cold start, apart
            ;(this.askedInWindow ? load.firstDelta : load.firstDeltaCold).recordMillis(performance.now() - this.askedAt)
            this.askedAt = undefined
          }
        }
        const ended = tracker.handle(frame, monotonicMicros())
        if (ended !== undefined) {
          if (client === this.driver) this.completed()
        } else if (frame.type === "ack") {
          if (frame.payload["status"] !== "ok") load.recorder.error("run_not_acked_ok")
        } else if (recordErrorFrame(frame, load.recorder) && client === this.driver && frame.id !== undefined) {
          // the run was refused: ask again a little later
          this.running = false
          setTimeout(() => this.startRun(), 100)
        }
      }
      client.onUnexpectedClose = () => load.recorder.error("unexpected_close")
    }
  }

  private get driver(): StreamClient {
    return this.clients[0]!
  }

  startRun(): void {
    if (this.load.stopped || this.running) return
    this.running = true
    this.load.started += 1
    this.askedAt = performance.now()
    this.askedInWindow = this.load.recorder.measuring
    this.driver.send({ type: "user_message", id: `m${this.counter++}`, payload: { text: RUN_TEXT } })
  }

  private completed(): void {
    this.running = false
    this.load.completed += 1
    if (this.load.recorder.measuring) this.load.completedInWindow += 1
    this.startRun()
  }

  close(): void {
    for (const client of this.clients) client.close()
  }
}

/** CPU of the processes around one window, and its wall time. */
export interface WindowCpu {
  readonly elapsedS: number
  /** every node's, summed */
  readonly serverTicks: number
  readonly modelTicks: number
  /** the nodes' Redis (`service-cluster`); null without one */
  readonly redisTicks: number | null
  /** this process, µs */
  readonly loadgenMicros: number
}

const ticksOf = (pid: number): number => {
  try {
    return totalTicks(readCpuTicks(pid))
  } catch {
    return 0
  }
}

/**
 * The `stream` scenarios' load: users added in steps (the ramp) or at once,
 * each running one model run after another; every delta on every connection
 * is recorded and checked.
 */
export class StreamLoad {
  readonly recorder = new Recorder()
  readonly loss = new LossTally()
  /** `user_message` sent → the run's first delta on the driver, for runs asked for in the window */
  readonly firstDelta = new LatencyHistogram()
  /** the same for runs asked for before the window (the first runs of every user: the cold start) */
  readonly firstDeltaCold = new LatencyHistogram()
  readonly topology: StreamTopology
  readonly deltasPerRun: number
  stopped = false
  started = 0
  completed = 0
  completedInWindow = 0
  connections = 0
  /** frames read on any connection, ever: the drain waits while they keep coming */
  framesSeen = 0
  /** deltas delivered on any connection, ever (a profile of the whole server process is per this) */
  deltasSeen = 0
  firstConnectError: string | undefined
  private readonly users: Array<StreamUser> = []

  constructor(private readonly task: LoadgenTask) {
    if (task.stream === undefined) throw new Error("the stream scenarios need their topology (started by main.ts)")
    this.topology = task.stream
    this.deltasPerRun = task.settings.stream.deltasPerRun
  }

  get userCount(): number {
    return this.users.length
  }

  get inFlight(): number {
    return this.users.filter((u) => u.running).length
  }

  /** every server process: the nodes, or the one server */
  get serverPids(): ReadonlyArray<number> {
    return this.topology.nodes?.serverPids ?? [this.task.serverPid]
  }

  /** A user's connection `k`: on node k (the driver on the first), or on the one server. */
  private connectOne(userId: string, k: number): Promise<StreamClient> {
    const urls = this.topology.nodes?.urls
    const url = urls === undefined ? this.task.wsUrl : urls[k % urls.length]!
    return this.topology.client === "socketio"
      ? connectSocketIo(url.replace(/^ws:/, "http:").replace(/\/ws$/, ""), userId, this.task.secret)
      : connectClient(url, userId, this.task.secret)
  }

  /** Connects users up to `total` (each with its 1 or 2 connections) and starts their runs spread over `staggerMs`. */
  async grow(total: number, staggerMs: number): Promise<void> {
    const first = this.users.length
    const added: Array<StreamUser> = []
    const batch = Math.max(1, Math.floor(this.task.settings.connectBatch / 2))
    for (let start = first; start < total; start += batch) {
      const indexes = Array.from({ length: Math.min(batch, total - start) }, (_, k) => start + k)
      const settled = await Promise.all(indexes.map((i) => {
        const userId = `stream-${this.task.tag}-${i}`
        return Promise.allSettled(Array.from({ length: connectionsOf(i) }, (_, k) => this.connectOne(userId, k)))
      }))
      for (const outcomes of settled) {
        const clients: Array<StreamClient> = []
        for (const outcome of outcomes) {
          if (outcome.status === "fulfilled") clients.push(outcome.value)
          else {
            this.recorder.error("connect_failed")
            this.firstConnectError ??= outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason)
          }
        }
        if (clients.length !== outcomes.length) {
          clients.forEach((c) => c.close())
          continue
        }
        this.connections += clients.length
        const user = new StreamUser(this, clients)
        // a new connection's live events are held until its first frame (RESUME_WINDOW_MS, PROTOCOL §6):
        // the connections that start no runs say something first, as a client with nothing to resume would
        if (this.topology.client === "switchyard") for (const client of clients.slice(1)) client.send({ type: "ping", id: "hello" })
        added.push(user)
        this.users.push(user)
      }
    }
    added.forEach((user, k) => setTimeout(() => user.startRun(), (k / Math.max(1, added.length)) * staggerMs))
  }

  /** Runs the load `durationMs` with the recorder's window open; CPU read around it. */
  async window(durationMs: number): Promise<WindowCpu> {
    const serverTicks = () => this.serverPids.reduce((sum, pid) => sum + ticksOf(pid), 0)
    const redisPid = this.topology.nodes?.redisPid
    const serverBefore = serverTicks()
    const modelBefore = ticksOf(this.topology.modelPid)
    const redisBefore = redisPid === undefined ? 0 : ticksOf(redisPid)
    const cpuBefore = process.cpuUsage()
    const t0 = performance.now()
    this.completedInWindow = 0
    this.recorder.start()
    await sleep(durationMs)
    this.recorder.stop()
    const cpu = process.cpuUsage(cpuBefore)
    return {
      elapsedS: (performance.now() - t0) / 1000,
      serverTicks: serverTicks() - serverBefore,
      modelTicks: ticksOf(this.topology.modelPid) - modelBefore,
      redisTicks: redisPid === undefined ? null : ticksOf(redisPid) - redisBefore,
      loadgenMicros: cpu.user + cpu.system
    }
  }

  /**
   * No new runs; waits for the runs going to complete — as long as frames
   * keep arriving (an overloaded server is slow, not lossy) but at most
   * `maxMs` — and counts the rest as errors.
   */
  async drain(stallMs: number, maxMs: number): Promise<void> {
    this.stopped = true
    const deadline = performance.now() + maxMs
    let seen = this.framesSeen
    let progressAt = performance.now()
    while (this.inFlight > 0 && performance.now() < deadline && performance.now() - progressAt < stallMs) {
      await sleep(100)
      if (this.framesSeen !== seen) {
        seen = this.framesSeen
        progressAt = performance.now()
      }
    }
    if (this.inFlight > 0) process.stderr.write(`    drain: ${this.inFlight} runs still going after ${((maxMs - (deadline - performance.now())) / 1000).toFixed(0)} s\n`)
    for (let i = 0; i < this.inFlight; i++) this.recorder.error("run_incomplete")
  }

  close(): void {
    for (const user of this.users) user.close()
  }

  notes(): ReadonlyArray<string> {
    const first = this.firstConnectError === undefined ? [] : [`first connect error: ${this.firstConnectError}`]
    return [...first, ...this.recorder.errorNotes()]
  }
}
