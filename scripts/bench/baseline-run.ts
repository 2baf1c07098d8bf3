/**
 * The baseline's emulation of an agent run (PROTOCOL §7), so the `fanout`
 * and `scale` scenarios have something to compare with: `count` events
 * (≥ 2) — `agent_started`, then thinking / tool_executing / tool_completed /
 * agent_message_delta…, then `agent_completed` — with payloads shaped like the
 * embedded agent's answer to "what is 17 * 23" (which is 8 events, the
 * default `count`), paced by `stepMs` (the service's AGENT_STEP_MS).
 */

export interface EmulatedEvent {
  readonly type: string
  readonly payload: Readonly<Record<string, unknown>>
}

const ANSWER = "17 * 23 = 391"

const middle = (runId: string, index: number): EmulatedEvent => {
  const call = { tool_call_id: `${runId}-t1`, tool: "calculator" }
  switch (index) {
    case 0:
      return { type: "agent_thinking", payload: { text: "The question needs arithmetic: using the calculator." } }
    case 1:
      return { type: "tool_executing", payload: { ...call, input: { expression: "17 * 23" } } }
    case 2:
      return { type: "tool_completed", payload: { ...call, output: { result: 391 }, ok: true } }
    default:
      return { type: "agent_message_delta", payload: { text: index === 3 ? ANSWER : " " } }
  }
}

/** The events of one emulated run, in order. */
export const emulatedRun = (runId: string, count: number): ReadonlyArray<EmulatedEvent> => {
  const n = Math.max(2, Math.floor(count))
  const events: Array<EmulatedEvent> = [{ type: "agent_started", payload: { run_id: runId, agent: "baseline" } }]
  for (let i = 0; i < n - 2; i++) events.push(middle(runId, i))
  const text = n >= 6 ? ANSWER + " ".repeat(n - 6) : ""
  events.push({ type: "agent_completed", payload: { run_id: runId, status: "completed", response: { text } } })
  return events
}

/**
 * Sends `events` through `emit` paced like the embedded agent: the first
 * (`agent_started`) at once, each middle event `stepMs` after the previous one,
 * the last (`agent_completed`) right after the last middle event.
 */
export const playRun = (
  events: ReadonlyArray<EmulatedEvent>,
  stepMs: number,
  emit: (event: EmulatedEvent) => void
): void => {
  let index = 0
  const step = (): void => {
    emit(events[index]!)
    index += 1
    if (index >= events.length) return
    if (index === events.length - 1 && index > 1) step()
    else if (stepMs > 0) setTimeout(step, stepMs)
    else setImmediate(step)
  }
  step()
}
