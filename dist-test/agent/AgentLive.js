import * as OpenAiClient from "@effect/ai-openai/OpenAiClient";
import * as OpenAiLanguageModel from "@effect/ai-openai/OpenAiLanguageModel";
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient";
import { Effect, Layer } from "effect";
import { SwitchyardConfig } from "../Config.js";
import * as BuiltinAgent from "./BuiltinAgent.js";
import * as ModelAgent from "./ModelAgent.js";
import * as ChatCompletions from "./openai/ChatCompletions.js";
import { BuiltinTools } from "./tools/index.js";
const OPENAI_AGENT_NAME = "openai";
const languageModel = (settings) => settings.openaiApi === "responses" ? OpenAiLanguageModel.layer({
  model: settings.openaiModel,
  // strict mode demands every property be required; the clock's timezone is optional
  config: { strict: false }
}).pipe(Layer.provide(OpenAiClient.layer({
  // the client appends "/responses": a trailing slash would double it
  apiUrl: settings.openaiBaseUrl.replace(/\/+$/, ""),
  apiKey: settings.openaiApiKey
}))) : ChatCompletions.layer({
  baseUrl: settings.openaiBaseUrl,
  apiKey: settings.openaiApiKey,
  model: settings.openaiModel
});
const openAi = (settings) => ModelAgent.layer({
  name: OPENAI_AGENT_NAME,
  model: settings.openaiModel,
  tools: BuiltinTools,
  systemPrompt: settings.agentSystemPrompt,
  maxSteps: Math.max(1, settings.agentMaxSteps),
  timeoutMs: Math.max(1, settings.openaiTimeoutMs),
  maxRetries: Math.max(0, settings.openaiMaxRetries),
  retryBaseMs: Math.max(0, settings.openaiRetryBaseMs)
}).pipe(Layer.provide(languageModel(settings)));
const layer = Layer.unwrapEffect(
  Effect.gen(function* () {
    const settings = yield* SwitchyardConfig;
    if (settings.agent === "builtin") return BuiltinAgent.layer;
    yield* Effect.logInfo("agent: a model behind an OpenAI-compatible server", {
      api: settings.openaiApi,
      base_url: settings.openaiBaseUrl,
      model: settings.openaiModel
    });
    if (settings.openaiApiKey === void 0 && settings.openaiBaseUrl.includes("api.openai.com")) {
      yield* Effect.logWarning("OPENAI_API_KEY is not set: api.openai.com will refuse every request (HTTP 401)");
    }
    return openAi(settings).pipe(Layer.provide(NodeHttpClient.layerUndici));
  })
);
export {
  OPENAI_AGENT_NAME,
  languageModel,
  layer,
  openAi
};
//# sourceMappingURL=AgentLive.js.map
