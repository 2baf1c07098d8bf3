import { Either, Schema } from "effect";
import { toFrameError } from "./DecodeFailure.js";
import { FrameError } from "./FrameError.js";
const BoundedString = (min, max) => Schema.String.pipe(
  Schema.filter((s) => s.length >= min && s.length <= max, { description: `a string of ${min}-${max} characters` })
);
const MessageId = BoundedString(1, 128);
const JsonObject = Schema.Record({ key: Schema.String, value: Schema.Unknown }).annotations({
  description: "an object"
});
const ClientFrame = Schema.Struct({
  id: Schema.optional(MessageId),
  type: BoundedString(1, 128),
  payload: Schema.optionalWith(JsonObject, { default: () => ({}) })
});
const decodeEnvelope = Schema.decodeUnknownEither(ClientFrame);
const decodeId = Schema.decodeUnknownEither(MessageId);
const isPlainObject = (u) => typeof u === "object" && u !== null && !Array.isArray(u);
const isBounded = (u, max) => typeof u === "string" && u.length >= 1 && u.length <= max;
const wellFormedEnvelope = (value) => {
  const { id, type, payload } = value;
  if (!isBounded(type, 128) || id !== void 0 && !isBounded(id, 128)) return void 0;
  if (payload !== void 0 && !isPlainObject(payload)) return void 0;
  const body = payload ?? {};
  return id === void 0 ? { type, payload: body } : { id, type, payload: body };
};
const decodeValue = (value) => {
  if (!isPlainObject(value)) {
    return Either.left({
      id: void 0,
      error: FrameError.invalidMessage("a frame must be a JSON object", [], "an object")
    });
  }
  const wellFormed = wellFormedEnvelope(value);
  if (wellFormed !== void 0) return Either.right(wellFormed);
  const decoded = decodeEnvelope(value);
  if (Either.isRight(decoded)) return Either.right(decoded.right);
  const rawId = value["id"];
  const id = rawId !== void 0 && Either.isRight(decodeId(rawId)) ? rawId : void 0;
  return Either.left({ id, error: toFrameError(decoded.left) });
};
const decodeText = (text) => {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return Either.left({
      id: void 0,
      error: new FrameError({ code: "INVALID_JSON", message: "the frame is not valid JSON" })
    });
  }
  return decodeValue(value);
};
export {
  BoundedString,
  ClientFrame,
  JsonObject,
  MessageId,
  decodeText,
  decodeValue,
  wellFormedEnvelope
};
//# sourceMappingURL=ClientFrame.js.map
