import { Schema } from "effect"
import * as ModelFailure from "./ModelFailure.js"

/**
 * The codes the service's own runs fail with: the `error.code` of an
 * `agent_completed {status: "failed"}` (docs/protocol.md, "Run failures").
 * They are not `error`-frame codes (`ErrorCode`), and the wire does not close
 * the set: `agent_completed`'s schema takes any string, since an embedder's
 * agent (or the built-in agent's `params.fail_with`) may fail with its own.
 */
export const RunErrorCode = Schema.Literal(
  /** the agent crashed */
  "INTERNAL",
  /** cluster mode: the run's node died; a surviving node ended the run once the dead node's lease expired */
  "NODE_LOST",
  ...ModelFailure.Code.literals
)

/** @see RunErrorCode */
export type RunErrorCode = typeof RunErrorCode.Type
