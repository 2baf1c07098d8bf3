import { Either, ParseResult, Schema } from "effect"
import { ServerEvent } from "../../src/protocol/ServerEvent.js"

/**
 * The contract test of every server frame (issue 15): each frame a test's
 * WebSocket client receives must decode with the published `ServerEvent`
 * union — strictly, a field the schema does not name included, since the
 * AsyncAPI document says none is sent. The `checkFrameContract` setup file feeds
 * every received text frame here and fails the test that received an
 * off-contract one.
 */

const decode = Schema.decodeUnknownEither(ServerEvent, { onExcessProperty: "error" })

const MAX_QUOTED = 400

/** Why `text` is not a frame of the contract, or `undefined` when it is. */
export const violation = (text: string): string | undefined => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return `not JSON: ${quote(text)}`
  }
  const decoded = decode(value)
  if (Either.isRight(decoded)) return undefined
  return `${quote(text)}\n${ParseResult.TreeFormatter.formatErrorSync(decoded.left)}`
}

const quote = (text: string): string => text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text

/** The off-contract frames received since the last `take` (the setup file's check empties it after each test). */
export const received = {
  violations: [] as Array<string>,
  check(text: string): void {
    const found = violation(text)
    if (found !== undefined) this.violations.push(found)
  },
  take(): Array<string> {
    return this.violations.splice(0)
  }
}
