import { Schema } from "effect"
import { ErrorCode } from "./ErrorCode.js"

/**
 * The one error that crosses the wire: it becomes an `error` frame
 * `{code, message, details?}`. Handlers fail with it; every other failure is
 * mapped to it at the router's edge.
 */
export class FrameError extends Schema.TaggedError<FrameError>()("FrameError", {
  code: ErrorCode,
  message: Schema.String,
  details: Schema.optional(Schema.Unknown)
}) {
  /** A frame or payload that does not match its schema (`details.path`, `details.expected`). */
  static invalidMessage(
    message: string,
    path: ReadonlyArray<PropertyKey>,
    expected: string
  ): FrameError {
    return new FrameError({
      code: "INVALID_MESSAGE",
      message,
      details: { path: path.map((key) => typeof key === "symbol" ? String(key) : key), expected }
    })
  }

  /** Something the user asked about does not exist (or is not theirs). */
  static notFound(message: string): FrameError {
    return new FrameError({ code: "NOT_FOUND", message })
  }

  /** The handler failed for a reason of its own. */
  static handlerFailed(message: string, details?: unknown): FrameError {
    return new FrameError(details === undefined ? { code: "HANDLER_FAILED", message } : {
      code: "HANDLER_FAILED",
      message,
      details
    })
  }
}
