import { Schema } from "effect";
import { ErrorCode } from "./ErrorCode.js";
class FrameError extends Schema.TaggedError()("FrameError", {
  code: ErrorCode,
  message: Schema.String,
  details: Schema.optional(Schema.Unknown)
}) {
  /** A frame or payload that does not match its schema (`details.path`, `details.expected`). */
  static invalidMessage(message, path, expected) {
    return new FrameError({
      code: "INVALID_MESSAGE",
      message,
      details: { path: path.map((key) => typeof key === "symbol" ? String(key) : key), expected }
    });
  }
  /** Something the user asked about does not exist (or is not theirs). */
  static notFound(message) {
    return new FrameError({ code: "NOT_FOUND", message });
  }
  /** The handler failed for a reason of its own. */
  static handlerFailed(message, details) {
    return new FrameError(details === void 0 ? { code: "HANDLER_FAILED", message } : {
      code: "HANDLER_FAILED",
      message,
      details
    });
  }
}
export {
  FrameError
};
//# sourceMappingURL=FrameError.js.map
