/**
 * The agent the service runs, chosen by configuration (`AGENT`): the embedded
 * built-in agent, or a model behind an OpenAI-compatible server (`OpenAiAgent`).
 * Import as a namespace: `import * as AgentLive from "./AgentLive.js"`.
 */
import { Effect, Layer } from "effect"
import type { Agent } from "./Agent.js"
import { AgentSettings } from "./AgentSettings.js"
import * as BuiltinAgent from "./BuiltinAgent.js"

/**
 * The agent `AGENT` selects: `builtin` (the default; no network) or `openai`.
 * The model libraries are imported only for `openai`: a built-in node never
 * pays their memory (~90 MiB of RSS).
 */
export const layer: Layer.Layer<Agent, never, AgentSettings> = Layer.unwrapEffect(
  Effect.gen(function*() {
    const settings = yield* AgentSettings
    if (settings.agent === "builtin") return BuiltinAgent.layer
    yield* Effect.logInfo("agent: a model behind an OpenAI-compatible server", {
      api: settings.openaiApi,
      base_url: settings.openaiBaseUrl,
      model: settings.openaiModel
    })
    if (settings.openaiApiKey === undefined && settings.openaiBaseUrl.includes("api.openai.com")) {
      yield* Effect.logWarning("OPENAI_API_KEY is not set: api.openai.com will refuse every request (HTTP 401)")
    }
    const OpenAiAgent = yield* Effect.promise(() => import("./OpenAiAgent.js"))
    return OpenAiAgent.layer(settings)
  })
)
