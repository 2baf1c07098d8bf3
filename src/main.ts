import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, Layer, Logger, LogLevel } from "effect"
import * as SwitchyardConfig from "./Config.js"
import * as JsonLogger from "./observability/JsonLogger.js"
import * as Switchyard from "./Switchyard.js"

const production = process.env["NODE_ENV"] === "production"
const logLevel = LogLevel.allLevels.find((level) => level.label === process.env["LOG_LEVEL"]?.toUpperCase()) ??
  LogLevel.Info

Switchyard.Default.pipe(
  Layer.provide(SwitchyardConfig.layer),
  // JSON lines that no logged value can break or blow up (effect's Logger.json throws on deep values)
  Layer.provide(production ? JsonLogger.layer : Logger.pretty),
  Layer.provide(Logger.minimumLogLevel(logLevel)),
  Layer.launch,
  // cluster mode with Redis unreachable at start: one readable line (no URL credentials) and a failed exit
  Effect.catchTag("RedisError", (error) =>
    Effect.sync(() => {
      process.stderr.write(`switchyard: cannot start: ${error.message}\n`)
      process.exit(1)
    })),
  // runMain would add its own pretty logger next to ours: JSON lines must be the only output in production
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
