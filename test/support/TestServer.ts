import { HttpServer } from "@effect/platform"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Context, Effect, Exit, Layer, Logger, LogLevel, Redacted, Scope } from "effect"
import { createServer } from "node:http"
import type { Agent } from "../../src/agent/Agent.js"
import * as BuiltinAgent from "../../src/agent/BuiltinAgent.js"
import * as SwitchyardConfig from "../../src/Config.js"
import type { Overrides } from "../../src/Config.js"
import { BuiltinHandlers } from "../../src/handlers/index.js"
import { RedisSettings, type RedisSettingsShape } from "../../src/store/RedisSettings.js"
import * as Jwt from "../../src/transport/Jwt.js"
import type { AnyHandler } from "../../src/handlers/Handler.js"
import * as Switchyard from "../../src/Switchyard.js"
import { capturingLogger, secret } from "./SecretScan.js"

/** The secret test servers sign with. */
export const TEST_SECRET = secret("switchyard-test-secret")

/** A running server on a free port, with helpers to mint tokens and stop it. */
export interface TestServer {
  readonly port: number
  readonly url: (path?: string) => string
  readonly wsUrl: (token: string) => string
  readonly token: (user: string, options?: { readonly roles?: ReadonlyArray<string>; readonly ttlS?: number }) => string
  readonly close: () => Promise<void>
}

/** Mints an HS256 token for `user` with the test secret. */
export const token = (
  user: string,
  options: { readonly roles?: ReadonlyArray<string>; readonly ttlS?: number; readonly secret?: string } = {}
): string =>
  secret(Jwt.sign(
    { sub: user, roles: options.roles ?? [], exp: Math.floor(Date.now() / 1000) + (options.ttlS ?? 3600) },
    options.secret ?? TEST_SECRET
  ))

/**
 * Starts the real service (the same layers `npm start` runs) on 127.0.0.1
 * and a free port, with `overrides` on the default settings. Every log line,
 * down to debug, is rendered as production renders it and recorded for the
 * suite's secret scan (`SecretScan`); `logs` adds a test's own logger and level.
 * `redis` runs it in cluster mode on that Redis (in this process: nodes
 * sharing a prefix can run a test's own handlers, unlike `npm start` ones).
 */
export const startServer = async (options: {
  readonly settings?: Overrides
  readonly handlers?: ReadonlyArray<AnyHandler>
  readonly agent?: Layer.Layer<Agent>
  readonly logs?: Layer.Layer<never>
  readonly embedded?: boolean
  readonly redis?: RedisSettingsShape
} = {}): Promise<TestServer> => {
  const scope = Effect.runSync(Scope.make())
  const settings = SwitchyardConfig.layerWith({
    jwtSecret: Redacted.make(TEST_SECRET),
    port: 0,
    host: "127.0.0.1",
    // tests send bursts no person would: the per-user message rate limit is off unless a test sets it
    rateLimitPerSec: 0,
    ...options.settings
  })
  // the later of two services of one tag wins the merge
  const config = options.redis === undefined ? settings : Layer.merge(settings, Layer.succeed(RedisSettings, options.redis))
  // what `npm start` listens with, or (`embedded`) an app's own HttpServer, whose `/ws` upgrades take the route
  const listen = options.embedded === true
    ? NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })
    : Switchyard.listen
  const layer = Switchyard.layer(options.handlers ?? BuiltinHandlers).pipe(
    Layer.provide(options.agent ?? BuiltinAgent.layer),
    Layer.provideMerge(listen),
    Layer.provide(config),
    Layer.provide(
      options.logs === undefined
        ? Layer.merge(Logger.replace(Logger.defaultLogger, capturingLogger), Logger.minimumLogLevel(LogLevel.Debug))
        : Layer.merge(options.logs, Logger.add(capturingLogger))
    )
  )
  const context = await Effect.runPromise(Layer.buildWithScope(layer, scope) as Effect.Effect<
    Context.Context<HttpServer.HttpServer>
  >)
  const address = Context.get(context, HttpServer.HttpServer).address
  if (address._tag !== "TcpAddress") throw new Error("expected a TCP address")
  const port = address.port
  return {
    port,
    url: (path = "/") => `http://127.0.0.1:${port}${path}`,
    wsUrl: (jwt) => `ws://127.0.0.1:${port}/ws?access_token=${jwt}`,
    token: (user, tokenOptions) => token(user, tokenOptions ?? {}),
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}
