import { Config, ConfigError, Context, Effect, Either, Layer, Option, Redacted } from "effect"
import * as CommaList from "../protocol/CommaList.js"
import { normalizeOrigin } from "./OriginPolicy.js"

/** Where development mode (no `JWT_SECRET`) listens unless `HOST` is set: this machine only. */
export const DEVELOPMENT_HOST = "127.0.0.1"

/**
 * Where the node listens, who may connect, what it calls itself and how it
 * stops: `PORT`, `HOST`, `NODE_ENV`, `JWT_SECRET`, `ALLOWED_ORIGINS`,
 * `NODE_ID`, `DRAIN_TIMEOUT_MS` (README, "Configuration").
 */
export class ServerSettings extends Context.Tag("switchyard/ServerSettings")<ServerSettings, {
  readonly port: number
  readonly host: string
  /** `NODE_ENV=production`: JSON logs, and no start without `JWT_SECRET` */
  readonly production: boolean
  /** undefined: development mode with the documented development secret */
  readonly jwtSecret: Redacted.Redacted<string> | undefined
  /** `ALLOWED_ORIGINS`: the browser origins that may open a WebSocket (others: 403); undefined: no origin check */
  readonly allowedOrigins: ReadonlyArray<string> | undefined
  /** this node's name in `connection_established.server.node_id` */
  readonly nodeId: string
  /** on SIGTERM, how long running agent runs may finish before connections close */
  readonly drainTimeoutMs: number
}>() {
  /** The defaults (`nodeId` and, without a secret, `host` are the environment's: see `config`). */
  static readonly defaults: ServerSettings["Type"] = {
    port: 8080,
    host: "0.0.0.0",
    production: false,
    jwtSecret: undefined,
    allowedOrigins: undefined,
    nodeId: "node-1",
    drainTimeoutMs: 10_000
  }

  /** The settings from the environment. */
  static readonly config: Effect.Effect<ServerSettings["Type"], ConfigError.ConfigError> = Effect.gen(function*() {
    const defaults = ServerSettings.defaults
    const secret = Option.filter(yield* Config.option(Config.redacted("JWT_SECRET")), (s) => Redacted.value(s).length > 0)
    return {
      port: yield* Config.withDefault(Config.integer("PORT"), defaults.port),
      // development mode signs with a public secret: unless HOST says otherwise, only this machine may reach it
      host: yield* Config.withDefault(Config.string("HOST"), Option.isSome(secret) ? defaults.host : DEVELOPMENT_HOST),
      production: (yield* Config.withDefault(Config.string("NODE_ENV"), "development")) === "production",
      jwtSecret: Option.getOrUndefined(secret),
      allowedOrigins: Option.getOrUndefined(Option.filter(
        yield* Config.option(originsConfig("ALLOWED_ORIGINS")),
        (origins) => origins.length > 0
      )),
      // a process's own name unless told: two nodes on one machine still differ
      nodeId: yield* Config.withDefault(Config.string("NODE_ID"), `node-${process.pid}`),
      drainTimeoutMs: yield* Config.withDefault(Config.integer("DRAIN_TIMEOUT_MS"), defaults.drainTimeoutMs)
    }
  })

  /** Settings from the environment. */
  static readonly layer: Layer.Layer<ServerSettings, ConfigError.ConfigError> = Layer.effect(
    ServerSettings,
    ServerSettings.config
  )

  /** The defaults with `overrides` (tests, embedding). */
  static layerWith(overrides: Partial<ServerSettings["Type"]> = {}): Layer.Layer<ServerSettings> {
    return Layer.succeed(ServerSettings, { ...ServerSettings.defaults, ...overrides })
  }
}

// "https://App.example.com/, http://localhost:3000" → the origins as browsers send them; a bad one stops the service at start
const originsConfig = (name: string): Config.Config<ReadonlyArray<string>> =>
  Config.mapOrFail(Config.string(name), (value) => {
    const origins = CommaList.parse(value)
    const normalized = origins.map(normalizeOrigin)
    const bad = origins.filter((_, i) => normalized[i] === undefined)
    return bad.length > 0
      ? Either.left(ConfigError.InvalidData([name], `expected origins like https://app.example.com, got "${bad.join(", ")}"`))
      : Either.right(normalized.filter((origin): origin is string => origin !== undefined))
  })
