import { Schema } from "effect";
import { AgentError } from "./Agent.js";
const Code = Schema.Literal(
  /** the model server did not answer, or stopped streaming, for `OPENAI_TIMEOUT_MS` */
  "MODEL_TIMEOUT",
  /** no connection to the model server (refused, reset, DNS) */
  "MODEL_UNREACHABLE",
  /** HTTP 429 */
  "MODEL_RATE_LIMITED",
  /** any other HTTP 4xx: a bad key, an unknown model, a request the server refuses */
  "MODEL_HTTP_4XX",
  /** HTTP 5xx */
  "MODEL_HTTP_5XX",
  /** the stream could not be read: not SSE/JSON, broken off, or ended before the model finished */
  "MODEL_BAD_STREAM",
  /** the server reported an error inside an otherwise well-formed stream */
  "MODEL_ERROR",
  /** the request could not be built or sent (configuration) */
  "MODEL_BAD_REQUEST",
  /** the model still asked for tools after `AGENT_MAX_STEPS` model calls */
  "MODEL_MAX_STEPS",
  /** a tool the model called failed (its `tool_completed` has `ok: false`) */
  "TOOL_FAILED"
);
const make = (code, message) => new AgentError({ code, message: message.length > 300 ? `${message.slice(0, 297)}...` : message });
const RETRYABLE = /* @__PURE__ */ new Set(["MODEL_UNREACHABLE", "MODEL_RATE_LIMITED", "MODEL_HTTP_5XX"]);
const isRetryable = (error) => RETRYABLE.has(error.code);
const fromAiError = (error) => {
  switch (error._tag) {
    case "HttpRequestError":
      return error.reason === "Transport" ? make("MODEL_UNREACHABLE", "could not reach the model server") : make("MODEL_BAD_REQUEST", `could not send the request to the model server (${error.reason})`);
    case "HttpResponseError": {
      const status = error.response.status;
      if (error.reason !== "StatusCode" || status >= 200 && status < 300) {
        return make("MODEL_BAD_STREAM", "the model server's response broke off or could not be read");
      }
      if (status === 429) return make("MODEL_RATE_LIMITED", "the model server is rate limiting (HTTP 429)");
      if (status >= 500) return make("MODEL_HTTP_5XX", `the model server failed (HTTP ${status})`);
      return make("MODEL_HTTP_4XX", `the model server refused the request (HTTP ${status})`);
    }
    case "MalformedOutput":
      return make("MODEL_BAD_STREAM", `the model server's stream is malformed: ${error.description ?? "unreadable"}`);
    case "MalformedInput":
      return make("MODEL_BAD_REQUEST", `the request to the model is malformed: ${error.description ?? "invalid"}`);
    case "UnknownError":
      return make("MODEL_ERROR", error.description ?? "the model server reported an error");
  }
};
export {
  Code,
  fromAiError,
  isRetryable,
  make
};
//# sourceMappingURL=ModelFailure.js.map
