import { Cause, FiberId, HashMap, List, Logger } from "effect"
import { boundedJson } from "./BoundedJson.js"

/**
 * The production logger: one JSON line per entry, with the fields of effect's
 * `Logger.json` (`message`, `logLevel`, `timestamp`, `cause`, `annotations`,
 * `spans`, `fiberId`). Unlike it, it cannot throw and its lines are bounded:
 * every part goes through `boundedJson` (effect's `Logger.json` recurses into
 * whatever it is given, so one deep value in a log call fails that call's
 * fiber, and its cycle check is quadratic in the value's size).
 */

/** Characters one message part, one annotation and the cause may take in a line. */
const MESSAGE_BUDGET = { maxChars: 4096, maxDepth: 8 }
const ANNOTATION_BUDGET = { maxChars: 512, maxDepth: 4 }
const CAUSE_CHARS = 8192

/** A JSON-lines logger writing each line with `write`. */
export const make = (write: (line: string) => void): Logger.Logger<unknown, void> =>
  Logger.make(({ annotations, cause, date, fiberId, logLevel, message, spans }) => {
    let line: string
    try {
      const parts = Array.isArray(message) ? message : [message]
      const messageJson = parts.length === 1
        ? boundedJson(parts[0], MESSAGE_BUDGET)
        : `[${parts.map((part) => boundedJson(part, MESSAGE_BUDGET)).join(",")}]`
      const annotationsJson: Array<string> = []
      for (const [key, value] of HashMap.toEntries(annotations)) {
        annotationsJson.push(`${JSON.stringify(key)}:${boundedJson(value, ANNOTATION_BUDGET)}`)
      }
      const spansJson: Array<string> = []
      const now = date.getTime()
      for (const span of List.toArray(spans)) spansJson.push(`${JSON.stringify(span.label)}:${now - span.startTime}`)
      line = `{"message":${messageJson},"logLevel":${JSON.stringify(logLevel.label)},"timestamp":${
        JSON.stringify(date.toISOString())
      }${Cause.isEmpty(cause) ? "" : `,"cause":${JSON.stringify(renderCause(cause))}`},"annotations":{${
        annotationsJson.join(",")
      }},"spans":{${spansJson.join(",")}},"fiberId":${JSON.stringify(FiberId.threadName(fiberId))}}`
    } catch {
      line = `{"message":"[unloggable entry]","logLevel":${JSON.stringify(logLevel.label)}}`
    }
    try {
      write(line)
    } catch {
      // a log line that cannot be written is lost; the fiber that logged goes on
    }
  })

// a cause's rendering, bounded; a defect whose rendering throws is named only
const renderCause = (cause: Cause.Cause<unknown>): string => {
  try {
    const text = Cause.pretty(cause, { renderErrorCause: true })
    return text.length > CAUSE_CHARS ? `${text.slice(0, CAUSE_CHARS)}…` : text
  } catch {
    return "[a cause that cannot be rendered]"
  }
}

/** The production logger on stdout, in place of effect's default logger. */
export const layer = Logger.replace(Logger.defaultLogger, make((line) => console.log(line)))
