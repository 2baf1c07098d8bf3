import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { AgentSettings } from "../../src/agent/AgentSettings.js"
import * as SwitchyardConfig from "../../src/Config.js"
import { HandlerSettings } from "../../src/handlers/HandlerSettings.js"
import { MigrationSettings } from "../../src/migration/MigrationSettings.js"
import { RateLimitSettings } from "../../src/resilience/RateLimitSettings.js"
import { ConversationSettings } from "../../src/state/ConversationSettings.js"
import { HistorySettings } from "../../src/state/HistorySettings.js"
import { SessionSettings } from "../../src/state/SessionSettings.js"
import { DedupeSettings } from "../../src/store/DedupeSettings.js"
import { ServerSettings } from "../../src/transport/ServerSettings.js"
import { TransportSettings } from "../../src/transport/TransportSettings.js"
import { READ_BY_MAIN, recording } from "../support/SettingsVariables.js"

/** Every module's settings, as one record per module. */
const everything = Effect.all({
  server: ServerSettings,
  transport: TransportSettings,
  migration: MigrationSettings,
  handlers: HandlerSettings,
  rateLimit: RateLimitSettings,
  agent: AgentSettings,
  session: SessionSettings,
  history: HistorySettings,
  conversations: ConversationSettings,
  dedupe: DedupeSettings
})

/** The settings `npm start` reads from `env`, and the variable names it asked for. */
const fromEnv = (env: Record<string, string>) => {
  const { asked, value } = recording(everything, env)
  return { settings: value, asked }
}

/** README's configuration table: each row's variables and their documented defaults, in order. */
const readmeRows = (): Array<{ readonly names: Array<string>; readonly defaults: Array<string> }> => {
  const readme = fs.readFileSync(path.resolve(__dirname, "../../README.md"), "utf8")
  const section = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("\n## ", readme.indexOf("## Configuration") + 1))
  return section.split("\n")
    .filter((line) => /^\| `[A-Z][A-Z0-9_]*`/.test(line))
    .map((line) => {
      const [names, defaults] = line.split(" | ")
      return {
        names: names!.replace(/^\| /, "").split(" / ").map((name) => name.replace(/`/g, "")),
        defaults: defaults!.split(" / ")
      }
    })
}

describe("the settings", () => {
  it("read exactly the variables README's configuration table documents", () => {
    const documented = readmeRows().flatMap((row) => row.names)
    const { asked } = fromEnv({})
    expect([...asked, ...READ_BY_MAIN].sort()).toEqual([...new Set(documented)].sort())
  })

  it("default to what README's table says: setting a documented default changes nothing", () => {
    // with a secret, as in production: without one HOST defaults to this machine only (README says so in its row)
    const base = { JWT_SECRET: "a-secret-for-this-test" }
    const { settings: defaults } = fromEnv(base)
    for (const row of readmeRows()) {
      row.names.forEach((name, i) => {
        const literal = /^`([^`]*)`$/.exec(row.defaults[i]?.trim() ?? "")
        // `unset`, `empty`, a prose default: nothing to set
        if (literal === null || READ_BY_MAIN.includes(name)) return
        const value = literal[1]!.replace("<pid>", String(process.pid))
        expect(fromEnv({ ...base, [name]: value }).settings, `${name}=${value}`).toEqual(defaults)
      })
    }
  })

  it("are the same defaults for tests and embedders (layerWith) as for `npm start` (the environment)", () => {
    const { settings: read } = fromEnv({ NODE_ID: ServerSettings.defaults.nodeId, HOST: ServerSettings.defaults.host })
    const made = Effect.runSync(Effect.provide(everything, SwitchyardConfig.layerWith()))
    expect(read).toEqual(made)
  })

  it("take overrides by field name, each to its own module", () => {
    const made = Effect.runSync(Effect.provide(
      everything,
      SwitchyardConfig.layerWith({ heartbeatMs: 5, agentStepMs: 7, migrationStrategy: "canary", allowedOrigins: undefined })
    ))
    expect(made.transport.heartbeatMs).toBe(5)
    expect(made.agent.agentStepMs).toBe(7)
    expect(made.migration.migrationStrategy).toBe("canary")
    expect(made.transport).not.toHaveProperty("agentStepMs")
  })
})
