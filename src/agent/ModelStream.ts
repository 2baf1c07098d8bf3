/**
 * What the model agent asks of a model: one streamed answer per call. Any
 * `@effect/ai` `LanguageModel` gives it (`fromLanguageModel`: OpenAI's
 * Responses API); the Chat Completions client gives it directly
 * (`ChatCompletions.modelStream`), without the `LanguageModel`'s schema decode
 * of every part — a union of some twenty part schemas, built anew for each
 * call — which cost more than the rest of a streamed delta's path.
 * Import as a namespace: `import * as ModelStream from "./ModelStream.js"`.
 */
import type * as AiError from "@effect/ai/AiError"
import * as LanguageModel from "@effect/ai/LanguageModel"
import type * as Prompt from "@effect/ai/Prompt"
import type * as Response from "@effect/ai/Response"
import { Chunk, Context, Effect, Layer, Stream } from "effect"
import type { ModelToolkit } from "./ModelToolkit.js"

/** One model call: the conversation so far, the tools the model may ask for, and whether it may. */
export interface ModelCall {
  readonly prompt: Prompt.Prompt
  readonly toolkit: ModelToolkit
  /** `none` on the run's last step: it must answer */
  readonly toolChoice: "auto" | "none"
}

/** The parts the agent acts on; the others (text start and end, tool-call fragments, metadata...) it passes over. */
type HandledPartType = "text-delta" | "tool-call" | "finish" | "error"

/**
 * The parts of a streamed answer the agent reads; `@effect/ai`'s parts, decoded
 * or encoded, have this shape. Tool calls are whole: the agent runs them itself.
 */
export type ModelPart =
  | { readonly type: "text-delta"; readonly delta: string }
  | { readonly type: "tool-call"; readonly id: string; readonly name: string; readonly params: unknown }
  | { readonly type: "finish" }
  | { readonly type: "error"; readonly error: unknown }
  | { readonly type: Exclude<Response.StreamPartEncoded["type"], HandledPartType> }

/** A model the agent can stream answers from. */
export class ModelStream extends Context.Tag("switchyard/ModelStream")<ModelStream, {
  readonly streamText: (call: ModelCall) => Stream.Stream<ModelPart, AiError.AiError>
  /**
   * Optional: the same answer, the parts of each read of it handed to `f` at
   * once, in the step that read them — no stream stages between the body
   * and the agent (each cost every read a trip through the channel
   * executor). The agent takes it when it is there (see `forEachRead`).
   */
  readonly forEachRead?: <E>(
    call: ModelCall,
    f: (parts: ReadonlyArray<ModelPart>) => Effect.Effect<void, E>
  ) => Effect.Effect<void, AiError.AiError | E>
}>() {}

/** Reads one answer of `model`, handing `f` the parts of each read (or of each chunk of `streamText`) in order. */
export const forEachRead = <E>(
  model: ModelStream["Type"],
  call: ModelCall,
  f: (parts: ReadonlyArray<ModelPart>) => Effect.Effect<void, E>
): Effect.Effect<void, AiError.AiError | E> =>
  model.forEachRead === undefined
    ? Stream.runForEachChunk(model.streamText(call), (chunk) => f(Chunk.toReadonlyArray(chunk)))
    : model.forEachRead(call, f)

/** The answers of an `@effect/ai` `LanguageModel`; the agent resolves the tool calls itself, to report each as it runs. */
export const fromLanguageModel = (model: LanguageModel.Service): ModelStream["Type"] => ({
  streamText: (call) =>
    model.streamText({
      prompt: call.prompt,
      toolkit: call.toolkit,
      toolChoice: call.toolChoice,
      disableToolCallResolution: true
    })
})

/** `fromLanguageModel` over the `LanguageModel` in context. */
export const layerLanguageModel: Layer.Layer<ModelStream, never, LanguageModel.LanguageModel> = Layer.effect(
  ModelStream,
  Effect.map(LanguageModel.LanguageModel, fromLanguageModel)
)
