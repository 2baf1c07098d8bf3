// placeholder until the renderer lands (being written in parallel)
import { Effect } from "effect"
export const contentType = "text/plain; version=0.0.4; charset=utf-8"
export const snapshot: Effect.Effect<string> = Effect.succeed("")
