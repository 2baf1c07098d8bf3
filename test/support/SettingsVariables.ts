import { ConfigProvider, Effect, Layer } from "effect"
import * as SwitchyardConfig from "../../src/Config.js"

/**
 * The environment variables the service reads, asked of the code itself: a
 * config provider that records every name it is asked for while every
 * module's settings are read (`SwitchyardConfig.layer`), so a setting added to
 * any settings module is seen here without a list to keep up to date.
 */

/** The variables `src/main.ts` reads itself (the logger is chosen before any layer is built). */
export const READ_BY_MAIN: ReadonlyArray<string> = ["LOG_LEVEL"]

/** Runs `read` (which needs the settings) against `env`; returns its value and every variable name asked for. */
export const recording = <A, E>(
  read: Effect.Effect<A, E, SwitchyardConfig.Settings>,
  env: Readonly<Record<string, string>> = {}
): { readonly value: A; readonly asked: ReadonlySet<string> } => {
  const asked = new Set<string>()
  const map = ConfigProvider.fromMap(new Map(Object.entries(env)))
  const provider = ConfigProvider.fromFlat(ConfigProvider.makeFlat({
    load: (at, primitive, split) => {
      asked.add(at.join("_"))
      return map.flattened.load(at, primitive, split)
    },
    enumerateChildren: map.flattened.enumerateChildren,
    patch: map.flattened.patch
  }))
  const settings: Layer.Layer<SwitchyardConfig.Settings, unknown> = Layer.provide(
    SwitchyardConfig.layer,
    Layer.setConfigProvider(provider)
  )
  const value = Effect.runSync(Effect.provide(read, settings))
  return { value, asked }
}

/** Every environment variable the service reads: the settings modules' and main's. */
export const settingsVariables = (): ReadonlyArray<string> =>
  [...new Set([...recording(Effect.void).asked, ...READ_BY_MAIN])].sort()
