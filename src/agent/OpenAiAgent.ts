/**
 * The model-backed agent: a model behind an OpenAI-compatible server, spoken
 * to through `@effect/ai` over the Responses API (`@effect/ai-openai`) or
 * Chat Completions (`./openai/ChatCompletions.ts`), as `OPENAI_API` says.
 * `AgentLive` loads this module only when `AGENT=openai`: the model
 * libraries are most of a built-in-agent node's start-up memory.
 * Import as a namespace: `import * as OpenAiAgent from "./OpenAiAgent.js"`.
 */
import type * as LanguageModel from "@effect/ai/LanguageModel"
import * as OpenAiClient from "@effect/ai-openai/OpenAiClient"
import * as OpenAiLanguageModel from "@effect/ai-openai/OpenAiLanguageModel"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Layer } from "effect"
import type { Agent } from "./Agent.js"
import type { AgentSettings } from "./AgentSettings.js"
import * as ModelAgent from "./ModelAgent.js"
import * as ChatCompletions from "./openai/ChatCompletions.js"
import { BuiltinTools } from "./tools/index.js"

/** The name a model-backed agent reports in `agent_started`. */
export const AGENT_NAME = "openai"

/** The language model of the settings, on the `HttpClient` in context. */
export const languageModel = (
  settings: AgentSettings["Type"]
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

/** The model-backed agent of the settings, with the tools every agent gets, on the `HttpClient` in context. */
export const agent = (settings: AgentSettings["Type"]): Layer.Layer<Agent, never, HttpClient.HttpClient> =>
  ModelAgent.layer({
    name: AGENT_NAME,
    model: settings.openaiModel,
    tools: BuiltinTools,
    systemPrompt: settings.agentSystemPrompt,
    maxSteps: Math.max(1, settings.agentMaxSteps),
    timeoutMs: Math.max(1, settings.openaiTimeoutMs),
    maxRetries: Math.max(0, settings.openaiMaxRetries),
    retryBaseMs: Math.max(0, settings.openaiRetryBaseMs)
  }).pipe(Layer.provide(languageModel(settings)))

/** The model-backed agent with its own HTTP client (undici), which closes with the layer. */
export const layer = (settings: AgentSettings["Type"]): Layer.Layer<Agent> =>
  agent(settings).pipe(Layer.provide(NodeHttpClient.layerUndici))
