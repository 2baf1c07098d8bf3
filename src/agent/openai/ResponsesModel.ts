/**
 * OpenAI's Responses API (`POST {baseUrl}/responses`) through
 * `@effect/ai-openai`, as the model agent's `ModelStream`. `OpenAiAgent`
 * loads this module only for `OPENAI_API=responses`: `@effect/ai-openai`'s
 * client, schemas and tokenizer are tens of MiB a Chat Completions node never needs.
 * Import as a namespace: `import * as ResponsesModel from "./ResponsesModel.js"`.
 */
import * as OpenAiClient from "@effect/ai-openai/OpenAiClient"
import * as OpenAiLanguageModel from "@effect/ai-openai/OpenAiLanguageModel"
import type * as HttpClient from "@effect/platform/HttpClient"
import { Layer } from "effect"
import type { AgentSettings } from "../AgentSettings.js"
import * as ModelStream from "../ModelStream.js"

/** The settings' model over the Responses API, on the `HttpClient` in context. */
export const layer = (settings: AgentSettings["Type"]): Layer.Layer<ModelStream.ModelStream, never, HttpClient.HttpClient> =>
  ModelStream.layerLanguageModel.pipe(
    Layer.provide(OpenAiLanguageModel.layer({
      model: settings.openaiModel,
      // strict mode demands every property be required; the clock's timezone is optional
      config: { strict: false }
    })),
    Layer.provide(OpenAiClient.layer({
      // the client appends "/responses": a trailing slash would double it
      apiUrl: settings.openaiBaseUrl.replace(/\/+$/, ""),
      apiKey: settings.openaiApiKey
    }))
  )
