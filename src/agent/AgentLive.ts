/**
 * The agent the service runs, chosen by configuration (`AGENT`): the embedded
 * built-in agent, or a model behind an OpenAI-compatible server, spoken to
 * through `@effect/ai` over the Responses API (`@effect/ai-openai`) or Chat
 * Completions (`./openai/ChatCompletions.ts`), as `OPENAI_API` says.
 * Import as a namespace: `import * as AgentLive from "./AgentLive.js"`.
 */
import type * as LanguageModel from "@effect/ai/LanguageModel"
import * as OpenAiClient from "@effect/ai-openai/OpenAiClient"
import * as OpenAiLanguageModel from "@effect/ai-openai/OpenAiLanguageModel"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Layer } from "effect"
import { type Settings, SwitchyardConfig } from "../Config.js"
import type { Agent } from "./Agent.js"
import * as BuiltinAgent from "./BuiltinAgent.js"
import * as ModelAgent from "./ModelAgent.js"
import * as ChatCompletions from "./openai/ChatCompletions.js"
import { BuiltinTools } from "./tools/index.js"

/** The name a model-backed agent reports in `agent_started`. */
export const OPENAI_AGENT_NAME = "openai"

/** The language model of the settings, on the `HttpClient` in context. */
export const languageModel = (
  settings: Settings
): Layer.Layer<LanguageModel.LanguageModel, never, HttpClient.HttpClient> =>
  settings.openaiApi === "responses"
    ? OpenAiLanguageModel.layer({
      model: settings.openaiModel,
      // strict mode demands every property be required; the clock's timezone is optional
      config: { strict: false }
    }).pipe(Layer.provide(OpenAiClient.layer({
      // the client appends "/responses": a trailing slash would double it
      apiUrl: settings.openaiBaseUrl.replace(/\/+$/, ""),
      apiKey: settings.openaiApiKey
    })))
    : ChatCompletions.layer({
      baseUrl: settings.openaiBaseUrl,
      apiKey: settings.openaiApiKey,
      model: settings.openaiModel
    })

/** The model-backed agent of the settings, with the tools every agent gets. */
export const openAi = (settings: Settings): Layer.Layer<Agent, never, HttpClient.HttpClient> =>
  ModelAgent.layer({
    name: OPENAI_AGENT_NAME,
    model: settings.openaiModel,
    tools: BuiltinTools,
    systemPrompt: settings.agentSystemPrompt,
    maxSteps: Math.max(1, settings.agentMaxSteps),
    timeoutMs: Math.max(1, settings.openaiTimeoutMs),
    maxRetries: Math.max(0, settings.openaiMaxRetries),
    retryBaseMs: Math.max(0, settings.openaiRetryBaseMs)
  }).pipe(Layer.provide(languageModel(settings)))

/**
 * The agent `AGENT` selects: `builtin` (the default; no network) or `openai`.
 * The HTTP client (undici) belongs to this layer and closes with it.
 */
export const layer: Layer.Layer<Agent, never, SwitchyardConfig> = Layer.unwrapEffect(
  Effect.gen(function*() {
    const settings = yield* SwitchyardConfig
    if (settings.agent === "builtin") return BuiltinAgent.layer
    yield* Effect.logInfo("agent: a model behind an OpenAI-compatible server", {
      api: settings.openaiApi,
      base_url: settings.openaiBaseUrl,
      model: settings.openaiModel
    })
    if (settings.openaiApiKey === undefined && settings.openaiBaseUrl.includes("api.openai.com")) {
      yield* Effect.logWarning("OPENAI_API_KEY is not set: api.openai.com will refuse every request (HTTP 401)")
    }
    return openAi(settings).pipe(Layer.provide(NodeHttpClient.layerUndici))
  })
)
