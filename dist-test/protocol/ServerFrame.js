import { Schema } from "effect";
import { ErrorCode } from "./ErrorCode.js";
const ServerFrame = Schema.Struct({
  type: Schema.String,
  id: Schema.optional(Schema.String),
  seq: Schema.optional(Schema.Int.pipe(Schema.positive())),
  run_id: Schema.optional(Schema.String),
  payload: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  ts: Schema.String.pipe(Schema.pattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/))
});
const ErrorPayload = Schema.Struct({
  code: ErrorCode,
  message: Schema.String,
  details: Schema.optional(Schema.Unknown)
});
let lastMillis = Number.NaN;
let lastIso = "";
const isoNow = () => {
  const now = Date.now();
  if (now !== lastMillis) {
    lastMillis = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
};
const EMPTY_RESULT = "{}";
const ack = (id, status, result) => `{"type":"ack","id":${JSON.stringify(id)},"payload":{"status":"${status}","result":${isEmptyObject(result) ? EMPTY_RESULT : JSON.stringify(result)}},"ts":"${isoNow()}"}`;
const isEmptyObject = (u) => {
  if (u === void 0 || u === null) return true;
  if (typeof u !== "object" || Array.isArray(u) || Object.getPrototypeOf(u) !== Object.prototype) return false;
  for (const _ in u) return false;
  return true;
};
const error = (id, failure) => JSON.stringify({
  type: "error",
  id,
  payload: { code: failure.code, message: failure.message, details: failure.details },
  ts: isoNow()
});
const pong = (id) => JSON.stringify({ type: "pong", id, payload: {}, ts: isoNow() });
const notice = (type, payload) => JSON.stringify({ type, payload, ts: isoNow() });
const streamEvent = (seq, event, ts) => JSON.stringify({ type: event.type, seq, run_id: event.run_id, payload: event.payload, ts });
export {
  ErrorPayload,
  ServerFrame,
  ack,
  error,
  isoNow,
  notice,
  pong,
  streamEvent
};
//# sourceMappingURL=ServerFrame.js.map
