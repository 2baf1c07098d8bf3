/**
 * The model-backed agent: a model behind an OpenAI-compatible server, spoken
 * to over Chat Completions (`./openai/ChatCompletions.ts`) or, through
 * `@effect/ai`, the Responses API (`./openai/ResponsesModel.ts`), as `OPENAI_API` says.
 * `AgentLive` loads this module only when `AGENT=openai`: the model
 * libraries are most of a built-in-agent node's start-up memory.
 * Import as a namespace: `import * as OpenAiAgent from "./OpenAiAgent.js"`.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { Effect, Layer } from "effect"
import type { Agent } from "./Agent.js"
import type { AgentSettings } from "./AgentSettings.js"
import * as ModelAgent from "./ModelAgent.js"
import type { ModelStream } from "./ModelStream.js"
import * as ChatCompletions from "./openai/ChatCompletions.js"
import * as UndiciClient from "./openai/UndiciClient.js"
import { BuiltinTools } from "./tools/index.js"

/** The name a model-backed agent reports in `agent_started`. */
export const AGENT_NAME = "openai"

/** The model of the settings, on the `HttpClient` in context; the Responses API's libraries load only when it is asked for. */
export const modelLayer = (settings: AgentSettings["Type"]): Layer.Layer<ModelStream, never, HttpClient.HttpClient> =>
  settings.openaiApi === "responses"
    ? Layer.unwrapEffect(Effect.map(Effect.promise(() => import("./openai/ResponsesModel.js")), (Responses) => Responses.layer(settings)))
    : ChatCompletions.modelStreamLayer({
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
  }).pipe(Layer.provide(modelLayer(settings)))

/**
 * The model-backed agent with its own HTTP client (undici), which closes with
 * the layer; Chat Completions reads its bodies as Node streams (`UndiciClient`).
 */
export const layer = (settings: AgentSettings["Type"]): Layer.Layer<Agent> =>
  agent(settings).pipe(Layer.provide(UndiciClient.layer))
