import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Exposition, type Family, parsePrometheus } from "../observability/parsePrometheus.js"
import { TestClient } from "../support/TestClient.js"
import { startServer, type TestServer } from "../support/TestServer.js"

/** The family `name`; fails with the names there are when it is missing. */
const family = (exposition: Exposition, name: string): Family => {
  const found = exposition.families.get(name)
  if (found === undefined) throw new Error(`no ${name} in: ${[...exposition.families.keys()].join(", ")}`)
  return found
}

/** The value of the sample `name` whose labels include `labels` (0 when there is none). */
const value = (f: Family, name: string, labels: Record<string, string> = {}): number =>
  f.samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0)

describe("/metrics over HTTP, parsed as Prometheus text exposition", () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ settings: { agentStepMs: 1 } })
  })
  afterAll(() => server.close())

  const scrape = async (): Promise<Exposition> => {
    const response = await fetch(server.url("/metrics"))
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8")
    // the parser throws on anything the format does not allow
    return parsePrometheus(await response.text())
  }

  it("exposes every service metric, with Prometheus names and bounded labels, and they move with traffic", async () => {
    const before = await scrape()
    const alice = await TestClient.connect(server.wsUrl(server.token("metrics-alice-7f3a")))
    const alice2 = await TestClient.connect(server.wsUrl(server.token("metrics-alice-7f3a")))
    const bob = await TestClient.connect(server.wsUrl(server.token("metrics-bob-91c2")))

    const ack = await alice.request("user_message", "m1", { text: "what is 17 * 23" })
    await alice.completed(ack.payload["result"].run_id as string)
    alice.send({ type: "user_message", id: "m1", payload: { text: "what is 17 * 23" } })
    const dup = await alice.wait((f) => f.id === "m1" && f.type === "ack")
    expect(dup.payload["status"]).toBe("duplicate")
    await bob.request("ping", "p1")
    await bob.request("no_such_type_a81f", "u1")
    await bob.request("quality_metrics", "q1", {})
    bob.send("not json")
    await bob.next((f) => f.type === "error" && f.id === undefined)

    const after = await scrape()

    const gauges = {
      switchyard_connections_open: 3,
      switchyard_users_connected: 2,
      switchyard_users_active: 2
    }
    for (const [name, expected] of Object.entries(gauges)) {
      expect(family(after, name).type, name).toBe("gauge")
      expect(value(family(after, name), name), name).toBe(expected)
    }
    expect(family(after, "switchyard_agent_runs_running").type).toBe("gauge")

    const frames = family(after, "switchyard_frames_total")
    expect(frames.type).toBe("counter")
    expect(value(frames, "switchyard_frames_total", { type: "user_message", outcome: "ok" })).toBe(1)
    expect(value(frames, "switchyard_frames_total", { type: "user_message", outcome: "duplicate" })).toBe(1)
    expect(value(frames, "switchyard_frames_total", { type: "ping", outcome: "ok" })).toBe(1)
    expect(value(frames, "switchyard_frames_total", { type: "quality_metrics", outcome: "ok" })).toBe(1)
    // a type no handler claims is counted as "unknown", never under its own name
    expect(value(frames, "switchyard_frames_total", { type: "unknown", outcome: "error" })).toBe(1)
    expect(value(family(after, "switchyard_frames_rejected_total"), "switchyard_frames_rejected_total", { code: "INVALID_JSON" }))
      .toBe(1)

    const latency = family(after, "switchyard_handler_seconds")
    expect(latency.type).toBe("histogram")
    for (const type of ["user_message", "ping", "quality_metrics", "unknown"]) {
      expect(value(latency, "switchyard_handler_seconds_count", { type, implementation: "builtin" }), type).toBeGreaterThan(0)
    }
    expect(value(latency, "switchyard_handler_seconds_count", { type: "user_message", implementation: "builtin" })).toBe(2)

    expect(value(family(after, "switchyard_agent_runs_total"), "switchyard_agent_runs_total", { status: "completed" })).toBe(1)
    expect(value(family(after, "switchyard_duplicates_suppressed_total"), "switchyard_duplicates_suppressed_total")).toBe(1)
    // agent_started, thinking ×2, tool pair, deltas, completed: several events, all counted
    expect(value(family(after, "switchyard_stream_events_total"), "switchyard_stream_events_total"))
      .toBeGreaterThanOrEqual(6)
    expect(family(after, "switchyard_slow_consumer_closes_total").type).toBe("counter")
    expect(family(after, "switchyard_quality_alerts_total").type).toBe("counter")

    // the numbers moved between the two scrapes
    const framesBefore = before.families.get("switchyard_frames_total")
    expect(value(frames, "switchyard_frames_total")).toBeGreaterThan(
      framesBefore === undefined ? 0 : value(framesBefore, "switchyard_frames_total")
    )

    // conventions: counters end in _total, the histogram is in seconds; no label carries a user id
    for (const [name, f] of after.families) {
      if (!name.startsWith("switchyard_")) continue
      if (f.type === "counter") expect(name, name).toMatch(/_total$/)
      if (f.type === "histogram") expect(name, name).toMatch(/_seconds$/)
      for (const sample of f.samples) {
        for (const [label, labelValue] of Object.entries(sample.labels)) {
          expect(label).not.toMatch(/user/)
          expect(labelValue, `${name}{${label}}`).not.toMatch(/metrics-(alice|bob)|no_such_type/)
        }
      }
    }

    await Promise.all([alice.close(), alice2.close(), bob.close()])
  })
})
